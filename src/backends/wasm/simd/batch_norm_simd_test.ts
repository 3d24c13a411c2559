import assert from "node:assert/strict";
import * as tf from "../../../tf.ts";
import { initBackend } from "../../init.ts";
import { simdKernels } from "./simd_kernels.ts";

/**
 * Each channel's mean and biased variance as float64 sums over the pixels in
 * order: the bits the moments kernels must give, however they sweep.
 */
function momentsInOrder(
  x: Float32Array,
  pixels: number,
  channels: number,
): Float64Array {
  const stats = new Float64Array(2 * channels);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    for (let p = 0; p < pixels; p++) sum += x[p * channels + c];
    const mean = sum / pixels;
    let squares = 0;
    for (let p = 0; p < pixels; p++) {
      const d = x[p * channels + c] - mean;
      squares += d * d;
    }
    stats[c] = mean;
    stats[channels + c] = squares / pixels;
  }
  return stats;
}

Deno.test("wasm's batch-norm moments sum each channel over the pixels in order, at every channel count", async () => {
  await initBackend("wasm");
  const simd = simdKernels()!;
  // Quads, blocks of them with and without a remainder, and pairs.
  for (const channels of [2, 4, 6, 8, 10, 12, 16, 20, 34, 36, 68]) {
    const pixels = 37;
    const x = tf.tidy(() =>
      tf.randomNormal([1, pixels, 1, channels], 0.5, 2, "float32", channels)
    );
    const values = (await x.data()) as Float32Array;
    const kernel = channels % 4 === 0
      ? simd.kernels.bn_moments
      : simd.kernels.bn_moments_d;
    const stats = simd.withScratch(2 * channels, (pointer, view) => {
      kernel(simd.pointer(x), pointer, pixels, channels);
      return Float64Array.from(view());
    });
    assert.deepEqual(
      stats,
      momentsInOrder(values, pixels, channels),
      `${channels} channels`,
    );
    x.dispose();
  }
});
