/**
 * The block `sep_conv` and `dil_conv` repeat on every search edge: a
 * depthwise-separable convolution, a training-mode batch norm without γ and β
 * and, inside `sep_conv`, the ReLU after it. Portable: the ops one after
 * another (each backend's kernels for them); the wasm backend registers one
 * custom op for the whole block, one tape node where the ops record three or
 * four (`wasm/simd/separable_block_simd.ts`).
 */
import type * as tf from "../tf.ts";
import {
  BATCH_NORM_EPSILON,
  batchNormReluTraining,
  type BatchNormResult,
  batchNormTraining,
} from "./batch_norm.ts";
import type { DepthwiseOptions } from "./depthwise_conv2d.ts";
import { defineOp } from "./op_kernels.ts";
import { separableConv } from "./separable_conv.ts";

/**
 * `batchNormTraining(separableConv(x, depthwise, pointwise, options))`, and
 * with `thenRelu` the ReLU of its output; filters `[kh, kw, C, 1]` and
 * `[1, 1, C, C']`.
 */
export const separableConvBatchNorm = defineOp(
  "separableConvBatchNorm",
  (
    x: tf.Tensor4D,
    depthwise: tf.Tensor4D,
    pointwise: tf.Tensor,
    options: DepthwiseOptions,
    thenRelu: boolean,
    epsilon: number = BATCH_NORM_EPSILON,
  ): BatchNormResult => {
    const mixed = separableConv(x, depthwise, pointwise, options);
    return thenRelu
      ? batchNormReluTraining(mixed, epsilon)
      : batchNormTraining(mixed, undefined, undefined, epsilon);
  },
);
