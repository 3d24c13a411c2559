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

/** `Σ dy` and `Σ dy·(x − mean)` per channel in float64, over the pixels in order. */
function backwardSumsInOrder(
  dy: Float32Array,
  x: Float32Array,
  mean: Float64Array,
  pixels: number,
  channels: number,
): Float64Array {
  const sums = new Float64Array(2 * channels);
  for (let c = 0; c < channels; c++) {
    let sum = 0;
    let centred = 0;
    for (let p = 0; p < pixels; p++) {
      const g = dy[p * channels + c];
      sum += g;
      centred += g * (x[p * channels + c] - mean[c]);
    }
    sums[c] = sum;
    sums[channels + c] = centred;
  }
  return sums;
}

Deno.test("wasm's batch-norm backward sums run each channel over the pixels in order, at every channel count", async () => {
  await initBackend("wasm");
  const simd = simdKernels()!;
  for (const channels of [2, 4, 6, 8, 10, 12, 16, 20, 34, 36, 68]) {
    const pixels = 29;
    const [x, dy] = tf.tidy(() => [
      tf.randomNormal([1, pixels, 1, channels], 0.5, 2, "float32", channels),
      tf.randomNormal([1, pixels, 1, channels], 0, 1, "float32", pixels),
    ]);
    const xValues = (await x.data()) as Float32Array;
    const dyValues = (await dy.data()) as Float32Array;
    const mean = Float64Array.from(
      { length: channels },
      (_, c) => 0.25 + c / 7,
    );
    const kernel = channels % 4 === 0
      ? simd.kernels.bn_backward_sums
      : simd.kernels.bn_backward_sums_d;
    // The scratch holds the means, then the sums.
    const sums = simd.withScratch(3 * channels, (pointer, view) => {
      view().set(mean);
      kernel(
        simd.pointer(dy),
        simd.pointer(x),
        pointer,
        pointer + 8 * channels,
        pixels,
        channels,
      );
      return Float64Array.from(view().subarray(channels));
    });
    assert.deepEqual(
      sums,
      backwardSumsInOrder(dyValues, xValues, mean, pixels, channels),
      `${channels} channels`,
    );
    tf.dispose([x, dy]);
  }
});

Deno.test("wasm's batch-norm affine map gives each element `(a − m)·s + t (+ b·r)` in doubles, rounded once, at every channel count", async () => {
  await initBackend("wasm");
  const simd = simdKernels()!;
  for (const channels of [2, 4, 6, 8, 10, 12, 16, 20, 34, 36, 68]) {
    const pixels = 23;
    const [a, b] = tf.tidy(() => [
      tf.randomNormal([1, pixels, 1, channels], 0.5, 2, "float32", channels),
      tf.randomNormal([1, pixels, 1, channels], 0, 1, "float32", pixels),
    ]);
    const aValues = (await a.data()) as Float32Array;
    const bValues = (await b.data()) as Float32Array;
    // [m, s, r, t] per channel.
    const coefficients = Float64Array.from(
      { length: 4 * channels },
      (_, i) => Math.sin(i + 1) / 3,
    );
    const kernel = channels % 4 === 0
      ? simd.kernels.bn_centered_affine
      : simd.kernels.bn_centered_affine_d;
    for (const withB of [false, true]) {
      const out = simd.allocate([1, pixels, 1, channels]);
      simd.withScratch(4 * channels, (pointer, view) => {
        view().set(coefficients);
        kernel(
          simd.pointer(a),
          withB ? simd.pointer(b) : 0,
          out.pointer,
          pointer,
          pixels,
          channels,
        );
      });
      const expected = new Float32Array(pixels * channels);
      for (let p = 0; p < pixels; p++) {
        for (let c = 0; c < channels; c++) {
          const i = p * channels + c;
          const [m, s, r, t] = [0, 1, 2, 3].map((k) =>
            coefficients[k * channels + c]
          );
          const mapped = (aValues[i] - m) * s + t;
          expected[i] = withB ? mapped + bValues[i] * r : mapped;
        }
      }
      assert.deepEqual(
        new Uint32Array((await out.tensor.data() as Float32Array).buffer),
        new Uint32Array(expected.buffer),
        `${channels} channels${withB ? " with b" : ""}`,
      );
      out.tensor.dispose();
    }
    tf.dispose([a, b]);
  }
});
