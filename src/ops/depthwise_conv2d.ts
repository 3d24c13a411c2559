/**
 * Depthwise 2-D convolution (NHWC, filter `[kh, kw, C, 1]`) with explicit
 * symmetric padding, stride 1 or 2 and dilation 1 or 2, differentiable on every
 * backend. tfjs computes no gradient of a dilated convolution and the wasm
 * backend has no depthwise backprop kernels, so both gradients are composed here
 * from forward depthwise convolutions, which every backend runs:
 *
 * - input: the "full" correlation of the zero-inserted upstream gradient with
 *   the spatially flipped filter, at the same dilation;
 * - filter: a correlation of the input with the upstream gradient used as a
 *   (large) filter, batch folded into channels, then summed over the batch.
 *
 * A strided dilated convolution (stride 2, dilation 2) equals an undilated
 * stride-1 convolution of the padded input's even rows and columns; that is how
 * it runs, which is also four times cheaper than subsampling a stride-1 result.
 *
 * On wasm (power-of-two strides) the convolution and both gradients run instead
 * as SIMD kernels on the heap, with padding, stride and dilation in their loops;
 * on webgpu as WGSL programs, likewise (`webgpu/depthwise_programs.ts`).
 */
import * as tf from "../tf.ts";
import { customOp, gradientNeeds } from "./custom_gradient.ts";
import { hostLayoutEnabled, slice4d, spreadAndPad } from "./host_layout.ts";
import { insertZeros, outputSize, padSpatial, subsample2 } from "./spatial.ts";
import { type SimdKernels, simdKernels } from "./simd/simd_kernels.ts";
import { webGpuProgramsActive } from "./webgpu/webgpu_programs.ts";
import { depthwiseConv2dWebGpu } from "./webgpu/depthwise_programs.ts";

/** Options of {@linkcode depthwiseConv2d}. */
export interface DepthwiseOptions {
  /** Stride in both directions (default 1). */
  stride?: number;
  /** Zero padding on every side (default 0). */
  padding?: number;
  /** Dilation in both directions (default 1). */
  dilation?: number;
}

/** Gradient with respect to the (padded) input of a valid depthwise conv. */
export function depthwiseInputGrad(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  stride: number,
  dilation: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw] = filter.shape;
    const [, inH, inW] = inputShape;
    const reachH = dilation * (kh - 1);
    const reachW = dilation * (kw - 1);
    let padded: tf.Tensor4D;
    if (hostLayoutEnabled()) {
      padded = spreadAndPad(
        dy,
        stride,
        reachH,
        reachW,
        inH + reachH,
        inW + reachW,
      );
    } else {
      const spread = insertZeros(dy, stride);
      padded = tf.pad(spread, [
        [0, 0],
        [reachH, inH - spread.shape[1]],
        [reachW, inW - spread.shape[2]],
        [0, 0],
      ]);
    }
    const flipped = tf.reverse(filter, [0, 1]) as tf.Tensor4D;
    return tf.depthwiseConv2d(padded, flipped, 1, "valid", "NHWC", dilation);
  });
}

/** Gradient with respect to the filter of a valid depthwise conv. */
export function depthwiseFilterGrad(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  stride: number,
  dilation: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    const [kh, kw] = filterShape;
    const spread = insertZeros(dy, stride);
    const [, sh, sw] = spread.shape;
    // Batch into channels: channel index c * n + b.
    const xFolded = tf.reshape(tf.transpose(x, [1, 2, 3, 0]), [1, h, w, c * n]);
    const dyFolded = tf.reshape(tf.transpose(spread, [1, 2, 3, 0]), [
      sh,
      sw,
      c * n,
      1,
    ]);
    const correlation = tf.depthwiseConv2d(
      xFolded as tf.Tensor4D,
      dyFolded as tf.Tensor4D,
      dilation,
      "valid",
    );
    const taps = tf.slice(correlation, [0, 0, 0, 0], [1, kh, kw, c * n]);
    const perSample = tf.reshape(taps, [kh, kw, c, n]);
    return tf.reshape(tf.sum(perSample, 3), [kh, kw, c, 1]);
  });
}

/** A valid (unpadded) depthwise convolution with the composed gradients. */
function depthwiseValid(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  stride: number,
  dilation: number,
): tf.Tensor4D {
  const op = customOp(([input, weights], save) => {
    const xs = input as tf.Tensor4D;
    const ws = weights as tf.Tensor4D;
    // The input is read again only for the filter's gradient.
    save(gradientNeeds.weights ? [ws, xs] : [ws]);
    const value = tf.depthwiseConv2d(xs, ws, stride, "valid", "NHWC", dilation);
    return {
      value,
      gradFunc: (dy, saved) => {
        const [wSaved, xSaved] = saved as [
          tf.Tensor4D,
          tf.Tensor4D | undefined,
        ];
        const dy4 = dy as tf.Tensor4D;
        return [
          depthwiseInputGrad(dy4, wSaved, xs.shape, stride, dilation),
          xSaved
            ? depthwiseFilterGrad(xSaved, dy4, wSaved.shape, stride, dilation)
            : tf.zerosLike(wSaved),
        ];
      },
    };
  });
  return op(x, filter) as tf.Tensor4D;
}

/**
 * The whole convolution (padding, stride, dilation) and both gradients as the
 * wasm backend's SIMD kernels, in place on its heap: no padded copy, no
 * zero-inserted gradient, no flipped filter, no batch folding.
 */
function depthwiseSimd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  options: Required<DepthwiseOptions>,
  [outH, outW]: [number, number],
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [kh, kw] = filter.shape;
  const { stride, padding, dilation } = options;
  const vector = c % 4 === 0;
  const k = simd.kernels;
  const run = (
    kernel: typeof k.depthwise_forward_v,
    a: tf.Tensor,
    b: tf.Tensor,
    shape: number[],
  ): tf.Tensor => {
    const out = simd.allocate(shape);
    kernel(
      simd.pointer(a),
      simd.pointer(b),
      out.pointer,
      n,
      h,
      w,
      c,
      outH,
      outW,
      kh,
      kw,
      Math.log2(stride),
      dilation,
      padding,
      padding,
    );
    return out.tensor;
  };
  const op = customOp(([input, weights], save) => {
    // The input is read again only for the filter's gradient.
    save(gradientNeeds.weights ? [weights, input] : [weights]);
    const value = run(
      vector ? k.depthwise_forward_v : k.depthwise_forward_s,
      input,
      weights,
      [n, outH, outW, c],
    );
    return {
      value,
      gradFunc: (dy, saved) => {
        const [wSaved, xSaved] = saved;
        const dx = run(
          vector ? k.depthwise_inputGrad_v : k.depthwise_inputGrad_s,
          dy,
          wSaved,
          [n, h, w, c],
        );
        const dw = xSaved
          ? run(
            vector ? k.depthwise_filterGrad_v : k.depthwise_filterGrad_s,
            xSaved,
            dy,
            wSaved.shape,
          )
          : tf.zerosLike(wSaved);
        return [dx, dw];
      },
    };
  });
  return op(x, filter) as tf.Tensor4D;
}

/**
 * The geometry of a depthwise convolution with its defaults filled in, and
 * its output's `[height, width]`.
 */
export function depthwiseGeometry(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  options: DepthwiseOptions,
): {
  geometry: { stride: number; padding: number; dilation: number };
  outputSpatial: [number, number];
} {
  const geometry = {
    stride: options.stride ?? 1,
    padding: options.padding ?? 0,
    dilation: options.dilation ?? 1,
  };
  const side = (size: number, kernel: number) =>
    outputSize(
      size,
      kernel,
      geometry.stride,
      geometry.padding,
      geometry.dilation,
    );
  return {
    geometry,
    outputSpatial: [
      side(x.shape[1], filter.shape[0]),
      side(x.shape[2], filter.shape[1]),
    ],
  };
}

/** Depthwise convolution with explicit padding, stride and dilation. */
export function depthwiseConv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  options: DepthwiseOptions = {},
): tf.Tensor4D {
  const {
    geometry: { stride, padding, dilation },
    outputSpatial: [outH, outW],
  } = depthwiseGeometry(x, filter, options);
  const kernels = simdKernels();
  // The kernels take power-of-two strides (the search space uses 1 and 2).
  if (kernels !== null && Number.isInteger(Math.log2(stride))) {
    return depthwiseSimd(kernels, x, filter, { stride, padding, dilation }, [
      outH,
      outW,
    ]);
  }
  if (webGpuProgramsActive()) {
    return depthwiseConv2dWebGpu(x, filter, { stride, padding, dilation }, [
      outH,
      outW,
    ]);
  }
  let padded = padSpatial(x, padding);
  let effectiveStride = stride;
  let effectiveDilation = dilation;
  if (stride > 1 && dilation > 1) {
    if (stride !== 2 || dilation % 2 !== 0) {
      throw new Error(
        `depthwiseConv2d: stride ${stride} with dilation ${dilation} is not supported (stride 2 needs an even dilation)`,
      );
    }
    padded = subsample2(padded, 0);
    effectiveStride = 1;
    effectiveDilation = dilation / 2;
  }
  const y = depthwiseValid(padded, filter, effectiveStride, effectiveDilation);
  if (y.shape[1] === outH && y.shape[2] === outW) return y;
  return slice4d(y, [0, 0, 0, 0], [y.shape[0], outH, outW, y.shape[3]]);
}
