/**
 * Registers the webgpu backend's kernels for our ops (when that backend
 * starts): our WGSL programs, each passing while the `webGpuPrograms` option
 * is off or where it does not apply (a dtype, a size the device cannot bind);
 * and the chunked sum, which tfjs' own `AddN` needs on WebGPU whatever the
 * option.
 */
import * as tf from "../../tf.ts";
import { executionOptions } from "../../ops/execution_options.ts";
import { relu } from "../../ops/activation.ts";
import {
  BATCH_NORM_EPSILON,
  batchNormReluTraining,
  batchNormTraining,
} from "../../ops/batch_norm.ts";
import {
  conv2dFilterGradient,
  pointwiseAsProduct,
  pointwiseConv,
} from "../../ops/conv2d.ts";
import {
  depthwiseConv2d,
  depthwiseGeometry,
} from "../../ops/depthwise_conv2d.ts";
import { sumTermsInOrder } from "../../ops/grouped_gradient_sums.ts";
import { concatChannelParts, weightedSum } from "../../ops/layout.ts";
import { type Op, PASS, registerOpKernel } from "../../ops/op_kernels.ts";
import {
  partialChannelOutput,
  weightedPartialChannelOutput,
} from "../../ops/partial_channel_output.ts";
import { avgPool } from "../../ops/pooling.ts";
import { runningAverage, runningAverages } from "../../ops/running_average.ts";
import { separableConv } from "../../ops/separable_conv.ts";
import { sgdUpdate, sgdUpdates } from "../../ops/sgd_update.ts";
import { outputSize, subsample2 } from "../../ops/spatial.ts";
import { squaredNorm } from "../../ops/squared_norm.ts";
import { averagePoolWebGpu } from "./average_pool_programs.ts";
import {
  batchNormTrainingWebGpu,
  runningAverageWebGpu,
} from "./batch_norm_programs.ts";
import { concatChannelsWebGpu, concatFits } from "./concat_programs.ts";
import { depthwiseConv2dWebGpu } from "./depthwise_programs.ts";
import {
  runningAveragesGrouped,
  sgdUpdatesGrouped,
  sgdUpdateWebGpu,
} from "./optimizer_webgpu.ts";
import { pointwiseProductWebGpu } from "./pointwise_programs.ts";
import { reluWebGpu } from "./relu_programs.ts";
import { separableConvWebGpu, separableFits } from "./separable_programs.ts";
import { shuffleWithBypassWebGpu } from "./shuffle_programs.ts";
import { squaredNormWebGpu } from "./squared_norm_program.ts";
import { subsample2WebGpu } from "./subsample_programs.ts";
import { sumInOrderWebGpu } from "./sum_in_order_webgpu.ts";
import {
  weightedShuffleFits,
  weightedShuffleWebGpu,
} from "./weighted_shuffle_programs.ts";
import { weightedSumWebGpu } from "./weighted_sum_programs.ts";
import {
  MAX_FILTER_TAPS,
  windowFilterGradientWebGpu,
} from "./window_filter_gradient.ts";
import "./webgpu_options.ts";

// deno-lint-ignore no-explicit-any
type Fn = (...args: any[]) => any;

/** Registers `kernel`, passing while the programs are off. */
function program<F extends Fn>(
  op: Op<F>,
  kernel: (...args: Parameters<F>) => ReturnType<F> | typeof PASS,
): void {
  registerOpKernel(
    op,
    "webgpu",
    (...args: Parameters<F>) =>
      executionOptions().webGpuPrograms ? kernel(...args) : PASS,
  );
}

const distinct = (indices: number[]) =>
  new Set(indices).size === indices.length;

/** Registers every webgpu kernel. */
export function registerWebGpuOpKernels(): void {
  registerOpKernel(sumTermsInOrder, "webgpu", sumInOrderWebGpu);
  program(
    relu,
    (x) => x.dtype === "float32" ? reluWebGpu(x) : PASS,
  );
  program(
    squaredNorm,
    (tensors) => tf.tidy(() => tf.reshape(squaredNormWebGpu(tensors), [])),
  );
  program(runningAverage, runningAverageWebGpu);
  program(runningAverages, runningAveragesGrouped);
  program(sgdUpdate, sgdUpdateWebGpu);
  program(sgdUpdates, sgdUpdatesGrouped);
  program(
    subsample2,
    (x, offset) => x.dtype === "float32" ? subsample2WebGpu(x, offset) : PASS,
  );
  program(
    concatChannelParts,
    (parts) =>
      concatFits(parts.length) && parts.every((p) => p.dtype === "float32")
        ? concatChannelsWebGpu(parts)
        : PASS,
  );
  program(
    weightedSum,
    (terms, weights, indices) =>
      distinct(indices) ? weightedSumWebGpu(terms, weights, indices) : PASS,
  );
  program(
    pointwiseConv,
    (x, filter) => pointwiseAsProduct(x, filter, pointwiseProductWebGpu),
  );
  program(
    conv2dFilterGradient,
    (x, dy, filterShape, stride, padding) =>
      filterShape.reduce((a, b) => a * b, 1) <= MAX_FILTER_TAPS
        ? windowFilterGradientWebGpu(x, dy, filterShape, {
          stride,
          padding,
          dilation: 1,
        }) as tf.Tensor4D
        : PASS,
  );
  program(depthwiseConv2d, (x, filter, options = {}) => {
    const { geometry, outputSpatial } = depthwiseGeometry(x, filter, options);
    return depthwiseConv2dWebGpu(x, filter, geometry, outputSpatial);
  });
  program(separableConv, (x, depthwise, pointwise, options = {}) => {
    const outChannels = pointwise.shape[pointwise.rank - 1];
    if (x.dtype !== "float32" || !separableFits(x.shape[3], outChannels)) {
      return PASS;
    }
    const { geometry, outputSpatial } = depthwiseGeometry(
      x,
      depthwise,
      options,
    );
    return separableConvWebGpu(
      x,
      depthwise,
      pointwise,
      geometry,
      outputSpatial,
    );
  });
  program(
    avgPool,
    (x, kernel, stride, padding) =>
      averagePoolWebGpu(x, kernel, stride, padding, [
        outputSize(x.shape[1], kernel, stride, padding),
        outputSize(x.shape[2], kernel, stride, padding),
      ]),
  );
  program(
    batchNormTraining,
    (x, gamma, beta, epsilon = BATCH_NORM_EPSILON) =>
      batchNormTrainingWebGpu(x, gamma, beta, epsilon),
  );
  program(
    batchNormReluTraining,
    (x, epsilon = BATCH_NORM_EPSILON) =>
      batchNormTrainingWebGpu(x, undefined, undefined, epsilon, true),
  );
  program(
    partialChannelOutput,
    (processed, x, k, stride, bypassed) =>
      stride === 1
        ? shuffleWithBypassWebGpu(processed, x, processed.shape[3], k)
        : shuffleWithBypassWebGpu(processed, bypassed(), 0, k),
  );
  program(
    weightedPartialChannelOutput,
    (terms, weights, indices, x, k, stride, bypassed) => {
      if (
        k === 1 || !distinct(indices) ||
        !weightedShuffleFits(terms.length, terms[0].size)
      ) {
        return PASS;
      }
      const part = terms[0].shape[3];
      return stride === 1
        ? weightedShuffleWebGpu(terms, weights, indices, x, part, k)
        : weightedShuffleWebGpu(terms, weights, indices, bypassed(), 0, k);
    },
  );
}
