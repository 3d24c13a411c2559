import assert from "node:assert/strict";
import * as tf from "../../../tf.ts";
import { initBackend } from "../../init.ts";
import { simdKernels } from "./simd_kernels.ts";
import { transposeSimd } from "./pointwise_simd.ts";

Deno.test("the SIMD transpose of a matrix equals tfjs' entry for entry", async () => {
  await initBackend("wasm");
  const simd = simdKernels()!;
  // Blocks of 4 (the SIMD kernel) and other sides (single-float copies).
  for (
    const [r, c] of [
      [1, 1],
      [3, 5],
      [16, 16],
      [7, 4],
      [1, 9],
      [20, 3],
      [4, 4],
      [8, 12],
      [64, 4],
      [12, 32],
    ]
  ) {
    const w = tf.randomNormal(
      [r, c],
      0,
      1,
      "float32",
      r * 31 + c,
    ) as tf.Tensor2D;
    const ours = transposeSimd(simd, w);
    assert.deepEqual(ours.shape, [c, r]);
    assert.deepEqual(
      await ours.data(),
      await tf.transpose(w).data(),
      `${r}x${c}`,
    );
    tf.dispose([w, ours]);
  }
});
