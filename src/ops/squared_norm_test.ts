import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { onEachBackend } from "../testing/backends.ts";
import { squaredNorm } from "./squared_norm.ts";

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
    const norm = squaredNorm(tensors);
    assert.equal((await norm.data())[0], expected);
    tf.dispose([...tensors, norm]);
  });
});
