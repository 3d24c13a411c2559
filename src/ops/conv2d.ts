/**
 * Regular 2-D convolution (NHWC, filter `[kh, kw, in, out]`) with explicit
 * symmetric padding, stride 1 or 2, and a gradient that every backend can
 * compute. The filter gradient is an op: portable, one matMul per kernel tap
 * (the wasm backend has no `Conv2DBackpropFilter`); the backends with tfjs'
 * kernel register it, and webgpu our two-level reduction first
 * (`webgpu/window_filter_gradient.ts`; tfjs' program gave the search stem's
 * filter a fifth of a weight step's GPU time on an H200). The pointwise (1x1)
 * convolution is an op too, with SIMD and WGSL kernels.
 */
import * as tf from "../tf.ts";
import { customOp, gradientNeeds } from "./custom_gradient.ts";
import { defineOp } from "./op_kernels.ts";
import { outputSize, padSpatial, windowTap } from "./spatial.ts";

/** Options of {@linkcode conv2d}. */
export interface Conv2dOptions {
  /** Stride in both directions (default 1). */
  stride?: number;
  /** Zero padding on every side, as PyTorch's `padding=p` (default 0). */
  padding?: number;
  /**
   * Whether the input's gradient can be needed (default true). False for a
   * network's images: the input is then left out of the op, and no gradient
   * (a transposed convolution) is computed for it.
   */
  inputGradient?: boolean;
}

/** The filter gradient of a convolution (portable: composed from matMuls). */
export const conv2dFilterGradient = defineOp(
  "conv2dFilterGradient",
  conv2dFilterGradComposed,
);

/** The filter gradient of a convolution, composed from matMuls. */
export function conv2dFilterGradComposed(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  stride: number,
  padding: number,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, inChannels, outChannels] = filterShape;
    const [, outH, outW] = dy.shape;
    const rows = dy.shape[0] * outH * outW;
    const dyRows = tf.reshape(dy, [rows, outChannels]);
    const xPadded = padSpatial(x, padding);
    const taps: tf.Tensor2D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const tap = windowTap(xPadded, i, j, outH, outW, stride);
        taps.push(
          tf.matMul(tf.reshape(tap, [rows, inChannels]), dyRows, true, false),
        );
      }
    }
    const stacked = taps.length === 1 ? taps[0] : tf.stack(taps);
    return tf.reshape(stacked, [kh, kw, inChannels, outChannels]);
  });
}

/** Convolution with explicit symmetric padding and a portable gradient. */
export function conv2d(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  options: Conv2dOptions = {},
): tf.Tensor4D {
  const stride = options.stride ?? 1;
  const padding = options.padding ?? 0;
  const [kh, kw] = filter.shape;
  if (kh === 1 && kw === 1 && padding === 0 && stride === 1) {
    return pointwiseConv(x, filter);
  }
  const filterGradient = (xs: tf.Tensor4D, dy: tf.Tensor4D): tf.Tensor4D =>
    conv2dFilterGradient(xs, dy, filter.shape, stride, padding);
  let y: tf.Tensor4D;
  if (options.inputGradient === false) {
    // The input is no input of the op, so no gradient is made for it.
    const op = customOp(([weights], save) => {
      save(gradientNeeds.weights ? [x] : []);
      return {
        value: tf.conv2d(x, weights as tf.Tensor4D, stride, padding),
        gradFunc: (dy, [xs]) => [
          xs
            ? filterGradient(xs as tf.Tensor4D, dy as tf.Tensor4D)
            : tf.zerosLike(filter),
        ],
      };
    });
    y = op(filter) as tf.Tensor4D;
  } else {
    const op = customOp(([input, weights], save) => {
      const xIn = input as tf.Tensor4D;
      const w = weights as tf.Tensor4D;
      // The input is read again only for the filter's gradient.
      save(gradientNeeds.weights ? [w, xIn] : [w]);
      return {
        value: tf.conv2d(xIn, w, stride, padding),
        gradFunc: (dy, saved) => {
          const [ws, xs] = saved as [tf.Tensor4D, tf.Tensor4D | undefined];
          const dy4 = dy as tf.Tensor4D;
          return [
            tf.conv2dTranspose(dy4, ws, xIn.shape, stride, padding),
            xs ? filterGradient(xs, dy4) : tf.zerosLike(ws),
          ];
        },
      };
    });
    y = op(x, filter) as tf.Tensor4D;
  }
  const expectedH = outputSize(x.shape[1], kh, stride, padding);
  if (y.shape[1] !== expectedH) {
    throw new Error(`conv2d: output height ${y.shape[1]} != ${expectedH}`);
  }
  return y;
}

/**
 * A 1x1 stride-1 convolution as one matMul; filter `[1, 1, in, out]` or
 * `[in, out]`. Differentiable through matMul's own gradient on every backend.
 */
export const pointwiseConv = defineOp(
  "pointwiseConv",
  (x: tf.Tensor4D, filter: tf.Tensor): tf.Tensor4D =>
    pointwiseAsProduct(x, filter, (rows, weights) => tf.matMul(rows, weights)),
);

/**
 * A pointwise convolution as `product(rows, weights)`: `x` as `[n·h·w, c]`
 * rows, the filter as `[c, c']`, the product's rows back in `x`'s layout.
 */
export function pointwiseAsProduct(
  x: tf.Tensor4D,
  filter: tf.Tensor,
  product: (rows: tf.Tensor2D, weights: tf.Tensor2D) => tf.Tensor2D,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const outChannels = filter.shape[filter.rank - 1];
  const weights = filter.rank === 2
    ? filter as tf.Tensor2D
    : tf.reshape(filter, [c, outChannels]) as tf.Tensor2D;
  const rows = tf.reshape(x, [n * h * w, c]) as tf.Tensor2D;
  return tf.reshape(product(rows, weights), [n, h, w, outChannels]);
}
