/**
 * Regular 2-D convolution (NHWC, filter `[kh, kw, in, out]`) with explicit
 * symmetric padding, stride 1 or 2, and a gradient that every backend can compute:
 * the wasm backend has no `Conv2DBackpropFilter`, so the filter gradient is
 * composed from one matMul per kernel tap there; on webgpu it is our two-level
 * reduction (`webgpu/window_filter_gradient.ts`; tfjs' program gave the search
 * stem's filter a fifth of a weight step's GPU time on an H200).
 */
import * as tf from "../tf.ts";
import { customOp, gradientNeeds } from "./custom_gradient.ts";
import { type SimdKernels, simdKernels } from "./simd/simd_kernels.ts";
import {
  backendHasKernel,
  outputSize,
  padSpatial,
  windowTap,
} from "./spatial.ts";
import { webGpuProgramsActive } from "./webgpu/webgpu_programs.ts";
import { pointwiseProductWebGpu } from "./webgpu/pointwise_programs.ts";
import {
  MAX_FILTER_TAPS,
  windowFilterGradientWebGpu,
} from "./webgpu/window_filter_gradient.ts";

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
    webGpuProgramsActive() && filter.size <= MAX_FILTER_TAPS
      ? windowFilterGradientWebGpu(xs, dy, filter.shape, {
        stride,
        padding,
        dilation: 1,
      }, false) as tf.Tensor4D
      : backendHasKernel("Conv2DBackpropFilter")
      ? tf.engine().runKernel("Conv2DBackpropFilter", { x: xs, dy }, {
        strides: [stride, stride],
        pad: padding,
        dataFormat: "NHWC",
        filterShape: filter.shape,
      }) as tf.Tensor4D
      : conv2dFilterGradComposed(xs, dy, filter.shape, stride, padding);
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
export function pointwiseConv(
  x: tf.Tensor4D,
  filter: tf.Tensor,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const outChannels = filter.shape[filter.rank - 1];
  const simd = simdKernels();
  if (simd !== null) {
    const weights2d = tf.reshape(filter, [c, outChannels]) as tf.Tensor2D;
    const rows = tf.reshape(x, [n * h * w, c]) as tf.Tensor2D;
    return tf.reshape(pointwiseSimd(simd, rows, weights2d), [
      n,
      h,
      w,
      outChannels,
    ]);
  }
  const weights = filter.rank === 2
    ? filter as tf.Tensor2D
    : tf.reshape(filter, [c, outChannels]) as tf.Tensor2D;
  const rows = tf.reshape(x, [n * h * w, c]) as tf.Tensor2D;
  if (webGpuProgramsActive()) {
    return tf.reshape(pointwiseProductWebGpu(rows, weights), [
      n,
      h,
      w,
      outChannels,
    ]);
  }
  return tf.reshape(tf.matMul(rows, weights), [n, h, w, outChannels]);
}

/**
 * `a · b` for `a` `[rows, inner]` on the wasm backend: the SIMD kernel for an
 * inner dimension of at most 4 (where XNNPACK's per-call cost dominates), else
 * tfjs' (XNNPACK) product.
 */
function productSimd(
  simd: SimdKernels,
  a: tf.Tensor2D,
  b: tf.Tensor2D,
): tf.Tensor2D {
  const [rows, inner] = a.shape;
  const cols = b.shape[1];
  if (inner > 4) return tf.matMul(a, b);
  const out = simd.allocate([rows, cols]);
  const kernel = cols % 4 === 0 ? simd.kernels.matmul_v : simd.kernels.matmul_s;
  kernel(simd.pointer(a), simd.pointer(b), out.pointer, rows, inner, cols);
  return out.tensor as tf.Tensor2D;
}

/**
 * Rows per L1-resident chunk of the `xᵀ · dy` kernel: the fastest of 64 to
 * 1,024 (figures: docs/performance.md, "Kernel choices").
 */
const TRANSPOSED_PRODUCT_CHUNK = 128;

/**
 * The pointwise product `x · w` and its gradients on the wasm backend. tfjs'
 * wasm BatchMatMul is fast only untransposed (figures: docs/performance.md,
 * "Kernel choices"). Here
 * `dy · wᵀ` transposes the small `w` first, and `xᵀ · dy` is a SIMD kernel for
 * small filters (at most 256 entries), else XNNPACK's product of `xᵀ`.
 */
function pointwiseSimd(
  simd: SimdKernels,
  x: tf.Tensor2D,
  w: tf.Tensor2D,
): tf.Tensor2D {
  const op = customOp(([input, weights], save) => {
    // The input is read again only for the filter's gradient.
    save(gradientNeeds.weights ? [weights, input] : [weights]);
    return {
      value: productSimd(simd, input as tf.Tensor2D, weights as tf.Tensor2D),
      gradFunc: (dy, saved) => {
        const [wSaved, xSaved] = saved as [
          tf.Tensor2D,
          tf.Tensor2D | undefined,
        ];
        const transposed = tf.transpose(wSaved) as tf.Tensor2D;
        const dx = productSimd(simd, dy as tf.Tensor2D, transposed);
        transposed.dispose();
        if (!xSaved) return [dx, tf.zerosLike(wSaved)];
        const [rows, inner] = xSaved.shape;
        const cols = wSaved.shape[1];
        if (inner * cols > 256) {
          // Larger filters: a transpose then XNNPACK's product beats the
          // kernel's strided passes (docs/performance.md, "Kernel choices").
          const xT = tf.transpose(xSaved) as tf.Tensor2D;
          const dw = tf.matMul(xT, dy as tf.Tensor2D);
          xT.dispose();
          return [dx, dw];
        }
        const dw = simd.allocate([inner, cols]);
        const kernel = cols % 4 === 0
          ? simd.kernels.matmul_at_v
          : simd.kernels.matmul_at_s;
        kernel(
          simd.pointer(xSaved),
          simd.pointer(dy),
          dw.pointer,
          rows,
          inner,
          cols,
          TRANSPOSED_PRODUCT_CHUNK,
        );
        return [dx, dw.tensor];
      },
    };
  });
  return op(x, w) as tf.Tensor2D;
}
