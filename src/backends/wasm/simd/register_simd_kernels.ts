/**
 * Registers the wasm backend's SIMD kernels for our ops (when that backend
 * starts). Each passes while the kernels are off (`simdKernels` option) or not
 * prepared for the backend's memory; the host kernels registered after them
 * then run.
 */
import { relu } from "../../../ops/activation.ts";
import { batchNormTraining } from "../../../ops/batch_norm.ts";
import { conv2dFilterGradient, pointwiseConv } from "../../../ops/conv2d.ts";
import { depthwiseConv2d } from "../../../ops/depthwise_conv2d.ts";
import {
  concatChannelParts,
  slice4d,
  spreadAndPadChecked,
  weightedSum,
} from "../../../ops/layout.ts";
import { type Op, PASS, registerOpKernel } from "../../../ops/op_kernels.ts";
import { partialChannelOutput } from "../../../ops/partial_channel_output.ts";
import { avgPool, maxPool } from "../../../ops/pooling.ts";
import { padSpatialNonEmpty, subsample2 } from "../../../ops/spatial.ts";
import { reluSimd } from "./activation_simd.ts";
import { batchNormTrainingSimd } from "./batch_norm_simd.ts";
import { depthwiseConv2dSimd } from "./depthwise_simd.ts";
import {
  concatChannelsSimd,
  padSpatialSimd,
  slice4dSimd,
  spreadAndPadSimd,
  subsample2Simd,
  weightedSumSimd,
} from "./layout_simd.ts";
import { partialChannelOutputSimd } from "./partial_channel_simd.ts";
import { runningAverages } from "../../../ops/running_average.ts";
import { runningAveragesSimd } from "./running_average_simd.ts";
import { pointwiseConvSimd } from "./pointwise_simd.ts";
import { separableConvBatchNorm } from "../../../ops/separable_block.ts";
import { separableConvBatchNormSimd } from "./separable_block_simd.ts";
import { sumTermsInOrder } from "../../../ops/grouped_gradient_sums.ts";
import { sumTermsSimd } from "./sum_terms_simd.ts";
import { averagePoolSimd, maxPoolSimd } from "./pooling_simd.ts";
import { type SimdKernels, simdKernels } from "./simd_kernels.ts";
import { conv2dFilterGradientSimd } from "./convolution_filter_gradient_simd.ts";

// deno-lint-ignore no-explicit-any
type Fn = (...args: any[]) => any;

function onWasm<F extends Fn>(
  op: Op<F>,
  kernel: (
    simd: SimdKernels,
    ...args: Parameters<F>
  ) => ReturnType<F> | typeof PASS,
): void {
  registerOpKernel(op, "wasm", (...args: Parameters<F>) => {
    const simd = simdKernels();
    return simd === null ? PASS : kernel(simd, ...args);
  });
}

/** Registers every SIMD kernel for the wasm backend. */
export function registerSimdOpKernels(): void {
  onWasm(relu, reluSimd);
  onWasm(pointwiseConv, pointwiseConvSimd);
  onWasm(conv2dFilterGradient, conv2dFilterGradientSimd);
  onWasm(depthwiseConv2d, depthwiseConv2dSimd);
  onWasm(maxPool, maxPoolSimd);
  onWasm(avgPool, averagePoolSimd);
  onWasm(batchNormTraining, batchNormTrainingSimd);
  onWasm(separableConvBatchNorm, separableConvBatchNormSimd);
  onWasm(slice4d, slice4dSimd);
  onWasm(concatChannelParts, concatChannelsSimd);
  onWasm(subsample2, subsample2Simd);
  onWasm(padSpatialNonEmpty, padSpatialSimd);
  onWasm(weightedSum, weightedSumSimd);
  onWasm(spreadAndPadChecked, spreadAndPadSimd);
  onWasm(partialChannelOutput, partialChannelOutputSimd);
  onWasm(runningAverages, runningAveragesSimd);
  onWasm(sumTermsInOrder, sumTermsSimd);
}
