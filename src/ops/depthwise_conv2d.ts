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
 * The wasm backend registers the convolution and both gradients as SIMD
 * kernels on its heap (power-of-two strides), with padding, stride and
 * dilation in their loops; webgpu as WGSL programs, likewise
 * (`webgpu/depthwise_programs.ts`).
 */
import * as tf from "../tf.ts";
import { customOp, gradientNeeds } from "./custom_gradient.ts";
import { slice4d, spreadAndPad } from "./layout.ts";
import { defineOp } from "./op_kernels.ts";
import { insertZeros, outputSize, padSpatial, subsample2 } from "./spatial.ts";

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
    const padded = spreadAndPad(
      dy,
      stride,
      reachH,
      reachW,
      inH + reachH,
      inW + reachW,
    );
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
export const depthwiseConv2d = defineOp(
  "depthwiseConv2d",
  (
    x: tf.Tensor4D,
    filter: tf.Tensor4D,
    options: DepthwiseOptions = {},
  ): tf.Tensor4D => depthwiseComposed(x, filter, options),
);

/** The portable depthwise convolution: padding, then a valid convolution. */
function depthwiseComposed(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  options: DepthwiseOptions,
): tf.Tensor4D {
  const {
    geometry: { stride, padding, dilation },
    outputSpatial: [outH, outW],
  } = depthwiseGeometry(x, filter, options);
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
