import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { lacksBackends, onEachBackend } from "../../testing/backends.ts";
import { valueAndGrads } from "../../testing/path_comparison.ts";
import { concatChannels } from "../../ops/layout.ts";
import { programDispatchCount } from "./webgpu_programs.ts";
import { setWebGpuProgramsEnabled } from "../../testing/option_setters.ts";

Deno.test({
  name:
    "channel concatenation in one dispatch each way equals tfjs' concat, gradients included",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      const parts = [3, 1, 5, 2].map((c, i) =>
        tf.randomNormal([2, 3, 4, c], 0, 1, "float32", i) as tf.Tensor4D
      );
      const f = (...xs: tf.Tensor[]) => concatChannels(xs as tf.Tensor4D[]);
      const before = programDispatchCount();
      const ours = await valueAndGrads(
        f,
        parts,
        setWebGpuProgramsEnabled,
        true,
      );
      // Forward twice (value, then inside the gradient) and one backward.
      assert.equal(programDispatchCount() - before, 3);
      const tfjs = await valueAndGrads(
        f,
        parts,
        setWebGpuProgramsEnabled,
        false,
      );
      ours.forEach((values, i) =>
        assert.deepEqual(values, tfjs[i], `part ${i}`)
      );
      tf.dispose(parts);
    }, ["webgpu"]);
  },
});
