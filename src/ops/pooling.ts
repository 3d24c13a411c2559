/**
 * 3x3-style max and average pooling with PyTorch semantics: explicit symmetric
 * padding; max pooling pads with -infinity, average pooling excludes the padding
 * from the count (`count_include_pad=False`). tfjs' own average-pool gradient
 * divides by the full window size, so average pooling is composed from a valid
 * pool over a zero-padded input times a constant per-position correction, whose
 * gradients are right on every backend. On wasm both poolings' gradients and
 * the average pool run as SIMD kernels, on webgpu the average pool as WGSL
 * programs.
 */
import * as tf from "../tf.ts";
import { customOp } from "./custom_gradient.ts";
import { outputSize, padSpatial } from "./spatial.ts";
import { hostLayoutEnabled, spreadAndPad } from "./host_layout.ts";
import {
  type KernelExports,
  type SimdKernels,
  simdKernels,
} from "./simd/simd_kernels.ts";
import { webGpuProgramsActive } from "./webgpu/webgpu_programs.ts";
import { averagePoolWebGpu } from "./webgpu/average_pool_programs.ts";

/**
 * Max pooling with padding -infinity (PyTorch `MaxPool2d(k, stride, padding)`).
 * The wasm backend's `MaxPoolGrad` and `MaxPoolWithArgmax` pick wrong positions
 * for many shapes (measured in tfjs 4.22, see pooling_test.ts), so there the
 * gradient is computed by {@linkcode maxPoolGradHost}: each window's first
 * maximum (PyTorch's scan order) receives the upstream gradient.
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
        maxPoolGradHost(
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

/**
 * The max-pool input gradient computed on the host from the tensors' values
 * (for backends whose data can be read synchronously: wasm and cpu). Ties go
 * to the first maximum in row-major window order, as in PyTorch.
 */
export function maxPoolGradHost(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kernel: number,
  stride: number,
  padding: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [, outH, outW] = dy.shape;
  const simd = simdKernels();
  if (simd !== null) {
    const dx = simd.allocate(x.shape);
    const kernelFunction = c % 4 === 0
      ? simd.kernels.maxpool_grad_v
      : simd.kernels.maxpool_grad_s;
    kernelFunction(
      simd.pointer(x),
      simd.pointer(dy),
      dx.pointer,
      n,
      h,
      w,
      c,
      outH,
      outW,
      kernel,
      stride,
      padding,
    );
    return dx.tensor as tf.Tensor4D;
  }
  const input = x.dataSync() as Float32Array;
  const upstream = dy.dataSync() as Float32Array;
  const dx = new Float32Array(input.length);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * stride - padding;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(h, y0 + kernel);
      for (let ox = 0; ox < outW; ox++) {
        const x0 = ox * stride - padding;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(w, x0 + kernel);
        const outBase = ((b * outH + oy) * outW + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let bestIndex = -1;
          for (let yy = yStart; yy < yEnd; yy++) {
            let index = ((b * h + yy) * w + xStart) * c + ch;
            for (let xx = xStart; xx < xEnd; xx++, index += c) {
              const v = input[index];
              if (v > best || bestIndex < 0) {
                best = v;
                bestIndex = index;
              }
            }
          }
          dx[bestIndex] += upstream[outBase + ch];
        }
      }
    }
  }
  return tf.tensor4d(dx, x.shape);
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

/**
 * A valid average pool. On the host backends its gradient is the stride-1
 * average pool of the zero-inserted, zero-padded upstream gradient (every input
 * receives 1/k² of each window it lies in), which runs as a forward pool,
 * several times faster than wasm's AvgPoolGrad kernel (figures:
 * docs/performance.md, "Kernel choices").
 */
function avgPoolValid(
  x: tf.Tensor4D,
  kernel: number,
  stride: number,
): tf.Tensor4D {
  if (!hostLayoutEnabled()) return tf.avgPool(x, kernel, stride, "valid");
  const [, h, w] = x.shape;
  const op = customOp(([input]) => ({
    value: tf.avgPool(input as tf.Tensor4D, kernel, stride, "valid"),
    gradFunc: (dy) =>
      tf.tidy(() => [
        tf.avgPool(
          spreadAndPad(
            dy as tf.Tensor4D,
            stride,
            kernel - 1,
            kernel - 1,
            h + kernel - 1,
            w + kernel - 1,
          ),
          kernel,
          1,
          "valid",
        ),
      ]),
  }));
  return op(x) as tf.Tensor4D;
}

/** Average pooling that excludes padding (`count_include_pad=False`). */
export function avgPool(
  x: tf.Tensor4D,
  kernel: number,
  stride: number,
  padding: number,
): tf.Tensor4D {
  const simd = simdKernels();
  if (simd !== null) return averagePoolSimd(simd, x, kernel, stride, padding);
  if (webGpuProgramsActive()) {
    return averagePoolWebGpu(x, kernel, stride, padding, [
      outputSize(x.shape[1], kernel, stride, padding),
      outputSize(x.shape[2], kernel, stride, padding),
    ]);
  }
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
}

/**
 * Average pooling without the padding in the count, forward and gradient as
 * the wasm backend's SIMD kernels: no padded copy, no count correction, no
 * spread gradient.
 */
function averagePoolSimd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  kernel: number,
  stride: number,
  padding: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const outH = outputSize(h, kernel, stride, padding);
  const outW = outputSize(w, kernel, stride, padding);
  const vector = c % 4 === 0;
  const run = (
    kernelFunction: KernelExports["avgpool_forward_v"],
    from: tf.Tensor,
    shape: number[],
  ) => {
    const out = simd.allocate(shape);
    kernelFunction(
      simd.pointer(from),
      out.pointer,
      n,
      h,
      w,
      c,
      outH,
      outW,
      kernel,
      stride,
      padding,
    );
    return out.tensor;
  };
  const op = customOp(([input]) => ({
    value: run(
      vector ? simd.kernels.avgpool_forward_v : simd.kernels.avgpool_forward_s,
      input,
      [n, outH, outW, c],
    ),
    gradFunc: (dy) => [
      run(
        vector ? simd.kernels.avgpool_grad_v : simd.kernels.avgpool_grad_s,
        dy,
        [n, h, w, c],
      ),
    ],
  }));
  return op(x) as tf.Tensor4D;
}
