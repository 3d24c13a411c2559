import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { onEachBackend } from "../../testing/backends.ts";
import { batchNormTraining } from "../../ops/batch_norm.ts";
import { gpuTimeByProgram } from "./gpu_time.ts";

Deno.test("GPU time is summed per program, ours by shader key, tfjs' by class", async (t) => {
  await onEachBackend(t, async (backend) => {
    if (backend !== "webgpu") {
      await assert.rejects(
        () => gpuTimeByProgram(() => {}),
        /needs the webgpu backend/,
      );
      return;
    }
    const x = tf.randomNormal([2, 4, 4, 8], 0, 1, "float32", 3) as tf.Tensor4D;
    const y = tf.randomNormal([2, 4, 4, 8], 0, 1, "float32", 4);
    const rows = await gpuTimeByProgram(() => {
      // One batch norm, forward and backward, then one tfjs multiply.
      const g = tf.grad((input: tf.Tensor) => {
        const r = batchNormTraining(input as tf.Tensor4D);
        r.statistics.dispose();
        return tf.sum(tf.mul(r.output, y));
      })(x);
      g.dispose();
    });
    const find = (name: string) => rows.find((r) => r.program === name);
    for (
      const name of [
        // One program a pass (recorded outside tfjs' runWebGPUProgram).
        "pcdarts_bn_forward_whole",
        "pcdarts_bn_backward_whole",
      ]
    ) {
      assert.equal(
        find(name)?.dispatches,
        1,
        `${name} in ${rows.map((r) => r.program)}`,
      );
    }
    assert.ok(find("BinaryOpProgram"), "tfjs' own programs are named too");
    for (const r of rows) assert.ok(r.ms >= 0 && Number.isFinite(r.ms));
    for (let i = 1; i < rows.length; i++) {
      assert.ok(rows[i - 1].ms >= rows[i].ms);
    }
    tf.dispose([x, y]);
  });
});
