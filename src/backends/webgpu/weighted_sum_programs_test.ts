import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { lacksBackends, onEachBackend } from "../../testing/backends.ts";
import { valueAndGrads } from "../../testing/path_comparison.ts";
import { weightedSum } from "../../ops/layout.ts";
import { setWebGpuProgramsEnabled } from "../../testing/option_setters.ts";

Deno.test({
  name:
    "a weighted sum reading a cell's 112 weights from its last row gets every weight's gradient right, at one and two levels",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      for (const side of [8, 16]) {
        const terms = Array.from(
          { length: 8 },
          (_, i) => tf.randomNormal([4, side, side, 8], 0, 1, "float32", i),
        );
        const weights = tf.tidy(() =>
          tf.softmax(tf.randomNormal([112], 0, 1, "float32", 9))
        );
        const indices = Array.from({ length: 8 }, (_, i) => 104 + i);
        const f = (w: tf.Tensor, ...ts: tf.Tensor[]) =>
          weightedSum(ts as tf.Tensor4D[], w as tf.Tensor1D, indices);
        const ours = await valueAndGrads(
          f,
          [weights, ...terms],
          setWebGpuProgramsEnabled,
          true,
        );
        const portable = await valueAndGrads(
          f,
          [weights, ...terms],
          setWebGpuProgramsEnabled,
          false,
        );
        // The weights' gradient: zero but for the last row, which matches.
        const [, gradient] = ours;
        assert.ok(gradient.slice(0, 104).every((v) => v === 0));
        ours.forEach((values, k) => {
          const scale = Math.max(...portable[k].map(Math.abs));
          values.forEach((v, i) =>
            assert.ok(
              Math.abs(v - portable[k][i]) <= 1e-5 * scale,
              `side ${side} part ${k} [${i}]: ${v} vs ${portable[k][i]}`,
            )
          );
        });
        tf.dispose([weights, ...terms]);
      }
    }, ["webgpu"]);
  },
});
