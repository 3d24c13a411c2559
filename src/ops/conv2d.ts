/**
 * Regular 2-D convolution (NHWC, filter `[kh, kw, in, out]`) with explicit
 * symmetric padding, stride 1 or 2, and a gradient that every backend can compute:
 * the wasm backend has no `Conv2DBackpropFilter`, so the filter gradient is
 * composed from one matMul per kernel tap there.
 */
import * as tf from "../tf.ts";
import { customOp, gradientNeeds } from "./custom_gradient.ts";
import {
  backendHasKernel,
  outputSize,
  padSpatial,
  windowTap,
} from "./spatial.ts";

/** Options of {@linkcode conv2d}. */
export interface Conv2dOptions {
  /** Stride in both directions (default 1). */
  stride?: number;
  /** Zero padding on every side, as PyTorch's `padding=p` (default 0). */
  padding?: number;
}

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
  const op = customOp(([input, weights], save) => {
    const xIn = input as tf.Tensor4D;
    const w = weights as tf.Tensor4D;
    save([xIn, w]);
    const value = tf.conv2d(xIn, w, stride, padding);
    return {
      value,
      gradFunc: (dy, saved) => {
        const [xs, ws] = saved as [tf.Tensor4D, tf.Tensor4D];
        const dy4 = dy as tf.Tensor4D;
        const dx = tf.conv2dTranspose(dy4, ws, xs.shape, stride, padding);
        const dw = !gradientNeeds.weights
          ? tf.zerosLike(ws)
          : backendHasKernel("Conv2DBackpropFilter")
          ? tf.engine().runKernel("Conv2DBackpropFilter", { x: xs, dy: dy4 }, {
            strides: [stride, stride],
            pad: padding,
            dataFormat: "NHWC",
            filterShape: ws.shape,
          }) as tf.Tensor4D
          : conv2dFilterGradComposed(xs, dy4, ws.shape, stride, padding);
        return [dx, dw];
      },
    };
  });
  const expectedH = outputSize(x.shape[1], kh, stride, padding);
  const y = op(x, filter) as tf.Tensor4D;
  if (y.shape[1] !== expectedH) {
    throw new Error(`conv2d: output height ${y.shape[1]} != ${expectedH}`);
  }
  return y;
}

/**
 * A 1x1 stride-1 convolution as one matMul; filter `[1, 1, in, out]` or
 * `[in, out]`. Differentiable through matMul's own gradient on every backend.
 */
export function pointwiseConv(
  x: tf.Tensor4D,
  filter: tf.Tensor,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const outChannels = filter.shape[filter.rank - 1];
  const weights = filter.rank === 2
    ? filter as tf.Tensor2D
    : tf.reshape(filter, [c, outChannels]) as tf.Tensor2D;
  const rows = tf.reshape(x, [n * h * w, c]) as tf.Tensor2D;
  return tf.reshape(tf.matMul(rows, weights), [n, h, w, outChannels]);
}
