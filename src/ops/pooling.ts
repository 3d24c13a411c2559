/**
 * 3x3-style max and average pooling with PyTorch semantics: explicit symmetric
 * padding; max pooling pads with -infinity, average pooling excludes the padding
 * from the count (`count_include_pad=False`). tfjs' own average-pool gradient
 * divides by the full window size, so average pooling is composed from a valid
 * pool over a zero-padded input times a constant per-position correction, whose
 * gradients are right on every backend. Backends register their own kernels:
 * wasm a max-pool gradient of its own (tfjs' is wrong there) and SIMD kernels
 * for the average pool, cpu and wasm a faster valid-pool gradient, webgpu the
 * average pool as WGSL programs.
 */
import * as tf from "../tf.ts";
import { defineOp } from "./op_kernels.ts";
import { outputSize, padSpatial } from "./spatial.ts";

/** Max pooling with padding -infinity (PyTorch `MaxPool2d(k, stride, padding)`). */
export const maxPool = defineOp(
  "maxPool",
  (
    x: tf.Tensor4D,
    kernel: number,
    stride: number,
    padding: number,
  ): tf.Tensor4D => tf.maxPool(x, kernel, stride, padding),
);

const correctionCache = new Map<string, Float32Array>();

/** k*k / (number of in-bounds pixels) for every output position. */
function countCorrection(
  height: number,
  width: number,
  kernel: number,
  stride: number,
  padding: number,
): { values: Float32Array; outH: number; outW: number } {
  const outH = outputSize(height, kernel, stride, padding);
  const outW = outputSize(width, kernel, stride, padding);
  const key = `${height}x${width}k${kernel}s${stride}p${padding}`;
  let values = correctionCache.get(key);
  if (!values) {
    values = new Float32Array(outH * outW);
    const span = (start: number, size: number) =>
      Math.min(start + kernel, size) - Math.max(start, 0);
    for (let i = 0; i < outH; i++) {
      const rows = span(i * stride - padding, height);
      for (let j = 0; j < outW; j++) {
        const cols = span(j * stride - padding, width);
        values[i * outW + j] = (kernel * kernel) / (rows * cols);
      }
    }
    correctionCache.set(key, values);
  }
  return { values, outH, outW };
}

/**
 * A valid average pool (portable: tfjs'; the host backends register one whose
 * gradient is a forward pool).
 */
export const avgPoolValid = defineOp(
  "avgPoolValid",
  (x: tf.Tensor4D, kernel: number, stride: number): tf.Tensor4D =>
    tf.avgPool(x, kernel, stride, "valid"),
);

/** Average pooling that excludes padding (`count_include_pad=False`). */
export const avgPool = defineOp(
  "avgPool",
  (
    x: tf.Tensor4D,
    kernel: number,
    stride: number,
    padding: number,
  ): tf.Tensor4D => {
    const pooled = avgPoolValid(padSpatial(x, padding), kernel, stride);
    if (padding === 0) return pooled;
    const { values, outH, outW } = countCorrection(
      x.shape[1],
      x.shape[2],
      kernel,
      stride,
      padding,
    );
    return tf.mul(pooled, tf.tensor4d(values, [1, outH, outW, 1]));
  },
);
