/**
 * The depthwise convolution on the wasm backend's heap: forward and both
 * gradients as SIMD kernels.
 */
import * as tf from "../../../tf.ts";
import { customOp, gradientNeeds } from "../../../ops/custom_gradient.ts";
import {
  depthwiseGeometry,
  type DepthwiseOptions,
} from "../../../ops/depthwise_conv2d.ts";
import { PASS } from "../../../ops/op_kernels.ts";
import type { SimdKernels } from "./simd_kernels.ts";

/** `depthwiseConv2d` on wasm; power-of-two strides only (else {@linkcode PASS}). */
export function depthwiseConv2dSimd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  options: DepthwiseOptions = {},
): tf.Tensor4D | typeof PASS {
  const { geometry, outputSpatial } = depthwiseGeometry(x, filter, options);
  // The kernels take power-of-two strides (the search space uses 1 and 2).
  if (!Number.isInteger(Math.log2(geometry.stride))) return PASS;
  return depthwiseSimd(simd, x, filter, geometry, outputSpatial);
}

/**
 * The three passes of one depthwise convolution's geometry as the wasm
 * backend's SIMD kernels, each into a new tensor: the forward pass, the input
 * gradient and the filter gradient. Four channels a vector where they divide;
 * two channels of two pixels a vector at stride 1, else two a half vector,
 * where two divide; one at a time otherwise. The filter gradient sums over
 * pixels, so it never pairs them. Every flavour gives the scalar one's bits.
 */
export interface DepthwisePasses {
  /** `x ⊛ filter`, `[n, outH, outW, c]`. */
  forward(x: tf.Tensor, filter: tf.Tensor): tf.Tensor;
  /** The input's gradient, `[n, h, w, c]`. */
  inputGrad(dy: tf.Tensor, filter: tf.Tensor): tf.Tensor;
  /** The filter's gradient, of `filterShape`. */
  filterGrad(x: tf.Tensor, dy: tf.Tensor): tf.Tensor;
}

/** {@linkcode DepthwisePasses} for an input `[n, h, w, c]` and a filter `[kh, kw, c, 1]`. */
export function depthwisePasses(
  simd: SimdKernels,
  [n, h, w, c]: number[],
  filterShape: number[],
  options: Required<DepthwiseOptions>,
  [outH, outW]: [number, number],
): DepthwisePasses {
  const [kh, kw] = filterShape;
  const { stride, padding, dilation } = options;
  const k = simd.kernels;
  const flavour = c % 4 === 0 ? "v" : c % 2 === 0 ? "d" : "s";
  const pixelFlavour = flavour === "d" && c === 2 && stride === 1
    ? "p"
    : flavour;
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
  const forwardKernel = k[`depthwise_forward_${pixelFlavour}`];
  const inputGradKernel = k[`depthwise_inputGrad_${pixelFlavour}`];
  const filterGradKernel = k[`depthwise_filterGrad_${flavour}`];
  return {
    forward: (x, filter) => run(forwardKernel, x, filter, [n, outH, outW, c]),
    inputGrad: (dy, filter) => run(inputGradKernel, dy, filter, [n, h, w, c]),
    filterGrad: (x, dy) => run(filterGradKernel, x, dy, filterShape),
  };
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
  outputSpatial: [number, number],
): tf.Tensor4D {
  const passes = depthwisePasses(
    simd,
    x.shape,
    filter.shape,
    options,
    outputSpatial,
  );
  if (!gradientNeeds.weights && filter instanceof tf.Variable) {
    // No filter gradient wanted (an architecture step): a variable filter,
    // which outlives the backward pass, stays off the tape, so it is neither
    // saved (a clone) nor given a zero gradient.
    const inputOnly = customOp(([input]) => ({
      value: passes.forward(input, filter),
      gradFunc: (dy) => [passes.inputGrad(dy, filter)],
    }));
    return inputOnly(x) as tf.Tensor4D;
  }
  const op = customOp(([input, weights], save) => {
    // The input is read again only for the filter's gradient.
    save(gradientNeeds.weights ? [weights, input] : [weights]);
    return {
      value: passes.forward(input, weights),
      gradFunc: (dy, saved) => {
        const [wSaved, xSaved] = saved;
        const dx = passes.inputGrad(dy, wSaved);
        const dw = xSaved
          ? passes.filterGrad(xSaved, dy)
          : tf.zerosLike(wSaved);
        return [dx, dw];
      },
    };
  });
  return op(x, filter) as tf.Tensor4D;
}
