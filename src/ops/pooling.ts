/**
 * 3x3-style max and average pooling with PyTorch semantics: explicit symmetric
 * padding; max pooling pads with -infinity, average pooling excludes the padding
 * from the count (`count_include_pad=False`). tfjs' own average-pool gradient
 * divides by the full window size, so average pooling is composed from a valid
 * pool over a zero-padded input times a constant per-position correction, whose
 * gradients are right on every backend.
 */
import * as tf from "../tf.ts";
import { customOp } from "./custom_gradient.ts";
import { outputSize, padSpatial, windowTap } from "./spatial.ts";

/**
 * Max pooling with padding -infinity (PyTorch `MaxPool2d(k, stride, padding)`).
 * The wasm backend's `MaxPoolGrad` and `MaxPoolWithArgmax` pick wrong positions
 * for many shapes (measured in tfjs 4.22, see pooling_test.ts), so there the
 * gradient is composed: the window taps are stacked, `argMax` picks the first
 * maximum (PyTorch's scan order), and the upstream gradient is scattered to
 * those input positions.
 */
export function maxPool(
  x: tf.Tensor4D,
  kernel: number,
  stride: number,
  padding: number,
): tf.Tensor4D {
  if (tf.getBackend() !== "wasm") return tf.maxPool(x, kernel, stride, padding);
  const op = customOp(([input], save) => {
    const value = tf.maxPool(input as tf.Tensor4D, kernel, stride, padding);
    save([input]);
    return {
      value,
      gradFunc: (dy, [saved]) => [
        maxPoolGradComposed(
          saved as tf.Tensor4D,
          dy as tf.Tensor4D,
          kernel,
          stride,
          padding,
        ),
      ],
    };
  });
  return op(x) as tf.Tensor4D;
}

/** The max-pool input gradient from argmax positions (see {@linkcode maxPool}). */
export function maxPoolGradComposed(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kernel: number,
  stride: number,
  padding: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const [, outH, outW] = dy.shape;
    const xPadded = padSpatial(x, padding, padding, -Infinity);
    const taps: tf.Tensor4D[] = [];
    for (let i = 0; i < kernel; i++) {
      for (let j = 0; j < kernel; j++) {
        taps.push(windowTap(xPadded, i, j, outH, outW, stride));
      }
    }
    const winner = tf.argMax(tf.stack(taps), 0);
    const tapOffsets = new Int32Array(kernel * kernel);
    for (let i = 0; i < kernel; i++) {
      for (let j = 0; j < kernel; j++) {
        tapOffsets[i * kernel + j] = (i * w + j) * c;
      }
    }
    const flatIndex = tf.add(
      windowOrigins(n, h, w, c, outH, outW, stride, padding),
      tf.gather(tf.tensor1d(tapOffsets, "int32"), winner),
    );
    const scattered = tf.scatterND(
      tf.reshape(flatIndex, [-1, 1]),
      tf.reshape(dy, [-1]),
      [x.size],
    );
    return tf.reshape(scattered, x.shape);
  });
}

const originCache = new Map<string, Int32Array>();

/** Flat input index of each output window's top-left tap (may point into padding). */
function windowOrigins(
  n: number,
  h: number,
  w: number,
  c: number,
  outH: number,
  outW: number,
  stride: number,
  padding: number,
): tf.Tensor {
  const key = [n, h, w, c, outH, outW, stride, padding].join(",");
  let origins = originCache.get(key);
  if (!origins) {
    origins = new Int32Array(n * outH * outW * c);
    let k = 0;
    for (let b = 0; b < n; b++) {
      for (let oy = 0; oy < outH; oy++) {
        for (let ox = 0; ox < outW; ox++) {
          const base =
            ((b * h + oy * stride - padding) * w + ox * stride - padding) *
            c;
          for (let ch = 0; ch < c; ch++) origins[k++] = base + ch;
        }
      }
    }
    originCache.set(key, origins);
  }
  return tf.tensor4d(origins, [n, outH, outW, c], "int32");
}

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

/** Average pooling that excludes padding (`count_include_pad=False`). */
export function avgPool(
  x: tf.Tensor4D,
  kernel: number,
  stride: number,
  padding: number,
): tf.Tensor4D {
  const pooled = tf.avgPool(padSpatial(x, padding), kernel, stride, "valid");
  if (padding === 0) return pooled;
  const { values, outH, outW } = countCorrection(
    x.shape[1],
    x.shape[2],
    kernel,
    stride,
    padding,
  );
  return tf.mul(pooled, tf.tensor4d(values, [1, outH, outW, 1]));
}
