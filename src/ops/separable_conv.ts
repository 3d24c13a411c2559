/**
 * A depthwise-separable convolution, `pointwise(depthwise(x))`. Portable: the
 * two ops one after the other; the webgpu backend registers one forward
 * dispatch for both (`webgpu/separable_programs.ts`).
 */
import type * as tf from "../tf.ts";
import { depthwiseConv2d, type DepthwiseOptions } from "./depthwise_conv2d.ts";
import { pointwiseConv } from "./conv2d.ts";
import { defineOp } from "./op_kernels.ts";

/**
 * `pointwiseConv(depthwiseConv2d(x, depthwise, options), pointwise)`: filters
 * `[kh, kw, C, 1]` and `[1, 1, C, C']` (or `[C, C']`).
 */
export const separableConv = defineOp(
  "separableConv",
  (
    x: tf.Tensor4D,
    depthwise: tf.Tensor4D,
    pointwise: tf.Tensor,
    options: DepthwiseOptions = {},
  ): tf.Tensor4D =>
    pointwiseConv(depthwiseConv2d(x, depthwise, options), pointwise),
);
