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

Deno.test("the register-blocked SIMD products equal XNNPACK's (tfjs' matMul) bit for bit, remainder rows, columns and split parts included", async () => {
  await initBackend("wasm");
  const simd = simdKernels()!;
  // Rows not divisible by 4, columns of 8s and a trailing 4, inner of 1 up.
  const shapes = [[1, 1, 4], [7, 5, 12], [13, 3, 8], [130, 16, 20], [
    258,
    48,
    16,
  ], [64, 9, 4]];
  for (const [rows, inner, cols] of shapes) {
    const seed = rows * 7 + inner * 3 + cols;
    const a = tf.randomNormal([rows, inner], 0, 1, "float32", seed);
    const b = tf.randomNormal([inner, cols], 0, 1, "float32", seed + 1);
    const dy = tf.randomNormal([rows, cols], 0, 1, "float32", seed + 2);
    const product = simd.allocate([rows, cols]);
    simd.kernels.gemm_v(
      simd.pointer(a),
      simd.pointer(b),
      product.pointer,
      rows,
      inner,
      cols,
    );
    const expected = tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
    assert.deepEqual(
      await product.tensor.data(),
      await expected.data(),
      `a · b at ${rows}x${inner}x${cols}`,
    );
    // aᵀ · dy in chunks of 5 rows, whole and as two parts of a's columns.
    // (XNNPACK's untransposed product of aᵀ, as the step ran it: tfjs'
    // transposeA path sums in another order)
    const aT = tf.transpose(a);
    const transposed = tf.matMul(aT as tf.Tensor2D, dy as tf.Tensor2D);
    const whole = simd.allocate([inner, cols]);
    simd.kernels.gemm_at_v(
      simd.pointer(a),
      simd.pointer(dy),
      whole.pointer,
      rows,
      inner,
      cols,
      5,
      inner,
    );
    assert.deepEqual(
      await whole.tensor.data(),
      await transposed.data(),
      `aᵀ · dy at ${rows}x${inner}x${cols}`,
    );
    const first = Math.min(4, inner);
    const parts = simd.allocate([inner, cols]);
    for (const [start, length] of [[0, first], [first, inner - first]]) {
      simd.kernels.gemm_at_v(
        simd.pointer(a) + 4 * start,
        simd.pointer(dy),
        parts.pointer + 4 * start * cols,
        rows,
        length,
        cols,
        5,
        inner,
      );
    }
    assert.deepEqual(
      await parts.tensor.data(),
      await transposed.data(),
      `aᵀ · dy in parts at ${rows}x${inner}x${cols}`,
    );
    tf.dispose([
      a,
      b,
      dy,
      product.tensor,
      expected,
      aT,
      transposed,
      whole.tensor,
      parts.tensor,
    ]);
  }
});
