import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { lacksBackends, onEachBackend } from "../../testing/backends.ts";
import { valueAndGrads } from "../../testing/path_comparison.ts";
import { subsample2 } from "../../ops/spatial.ts";
import { programDispatchCount } from "./webgpu_programs.ts";
import { setWebGpuProgramsEnabled } from "../../testing/option_setters.ts";

Deno.test({
  name:
    "subsampling every second pixel in one dispatch each way equals the portable path, gradients included",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      for (const [h, w] of [[8, 8], [7, 5]]) {
        for (const offset of [0, 1]) {
          const x = tf.randomNormal([2, h, w, 3], 0, 1, "float32", h + offset);
          const f = (input: tf.Tensor) =>
            subsample2(input as tf.Tensor4D, offset);
          const before = programDispatchCount();
          const ours = await valueAndGrads(
            f,
            [x],
            setWebGpuProgramsEnabled,
            true,
          );
          assert.equal(programDispatchCount() - before, 3);
          const portable = await valueAndGrads(
            f,
            [x],
            setWebGpuProgramsEnabled,
            false,
          );
          ours.forEach((v, i) =>
            assert.deepEqual(
              v,
              portable[i],
              `${h}x${w} offset ${offset} part ${i}`,
            )
          );
          x.dispose();
        }
      }
    }, ["webgpu"]);
  },
});
