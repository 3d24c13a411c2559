import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { onEachBackend } from "../testing/backends.ts";
import { squaredNorm } from "./squared_norm.ts";
import { setWebGpuProgramsEnabled } from "../testing/option_setters.ts";

Deno.test("the squared norm of many tensors (more than WebGPU binds at once) is their sum of squares", async (t) => {
  await onEachBackend(t, async () => {
    // 300 tensors, as a search network's ~900 gradients would be: tfjs'
    // webgpu addN of them returned garbage.
    const tensors = Array.from(
      { length: 300 },
      (_, i) => tf.fill([i % 3 + 1, 2], (i % 7) - 3),
    );
    let expected = 0;
    for (let i = 0; i < 300; i++) {
      expected += (i % 3 + 1) * 2 * ((i % 7) - 3) ** 2;
    }
    // Our program chain on webgpu, tfjs kernels elsewhere (and on webgpu
    // with the programs off); sizes of 2 to 6 exercise each link's loops.
    for (const programs of [true, false]) {
      const before = setWebGpuProgramsEnabled(programs);
      const norm = squaredNorm(tensors);
      setWebGpuProgramsEnabled(before);
      assert.equal((await norm.data())[0], expected, `programs ${programs}`);
      norm.dispose();
    }
    const large = tf.fill([3000], 0.5);
    const norm = squaredNorm([large, ...tensors.slice(0, 8)]);
    let expectedLarge = 750;
    for (let i = 0; i < 8; i++) {
      expectedLarge += (i % 3 + 1) * 2 * ((i % 7) - 3) ** 2;
    }
    assert.equal((await norm.data())[0], expectedLarge);
    tf.dispose([...tensors, large, norm]);
  });
});
