import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { batchNormInference, batchNormTraining } from "./batch_norm.ts";
import { onEachBackend } from "../testing/backends.ts";
import { gradientCheck, randomInputs } from "../testing/gradient_check.ts";

Deno.test("batch norm gradients match finite differences (affine and not)", async (t) => {
  await onEachBackend(t, async () => {
    const [x, gamma, beta] = randomInputs([[3, 4, 4, 5], [5], [5]], 2);
    const affine = await gradientCheck((a, g, b) => {
      const r = batchNormTraining(
        a as tf.Tensor4D,
        g as tf.Tensor1D,
        b as tf.Tensor1D,
      );
      r.statistics.dispose();
      return r.output;
    }, [x, gamma, beta]);
    const plain = await gradientCheck((a) => {
      const r = batchNormTraining(a as tf.Tensor4D);
      r.statistics.dispose();
      return r.output;
    }, [x]);
    tf.dispose([x, gamma, beta]);
    for (const e of [...affine.worst, ...plain.worst]) {
      assert.ok(e < 1e-2, `mismatch ${e}`);
    }
  });
});

Deno.test("training mode normalizes with the biased batch variance", async (t) => {
  await onEachBackend(t, async () => {
    const x = tf.tensor4d([1, 2, 3, 4], [4, 1, 1, 1]);
    const { output, statistics } = tf.tidy(() => {
      const r = batchNormTraining(x);
      return { output: r.output, statistics: r.statistics };
    });
    const [mean, variance] = await statistics.data();
    assert.equal(mean, 2.5);
    assert.ok(Math.abs(variance - 1.25) < 1e-6);
    const y = await output.data();
    assert.ok(Math.abs(y[0] - (1 - 2.5) / Math.sqrt(1.25 + 1e-5)) < 1e-5);
    const inference = tf.tidy(() => batchNormInference(x, tf.tensor1d([1, 4])));
    assert.ok(
      Math.abs((await inference.data())[3] - 3 / Math.sqrt(4 + 1e-5)) < 1e-6,
    );
    tf.dispose([x, output, statistics, inference]);
  });
});
