/**
 * A depthwise-separable convolution, `pointwise(depthwise(x))`: on webgpu one
 * forward dispatch for both (`webgpu/separable_programs.ts`), elsewhere the
 * two ops one after the other.
 */
import * as tf from "../tf.ts";
import {
  depthwiseConv2d,
  depthwiseGeometry,
  type DepthwiseOptions,
} from "./depthwise_conv2d.ts";
import { pointwiseConv } from "./conv2d.ts";
import { webGpuProgramsActive } from "./webgpu/webgpu_programs.ts";
import {
  separableConvWebGpu,
  separableFits,
} from "./webgpu/separable_programs.ts";

/**
 * `pointwiseConv(depthwiseConv2d(x, depthwise, options), pointwise)`: filters
 * `[kh, kw, C, 1]` and `[1, 1, C, C']` (or `[C, C']`).
 */
export function separableConv(
  x: tf.Tensor4D,
  depthwise: tf.Tensor4D,
  pointwise: tf.Tensor,
  options: DepthwiseOptions = {},
): tf.Tensor4D {
  const outChannels = pointwise.shape[pointwise.rank - 1];
  if (
    webGpuProgramsActive() && x.dtype === "float32" &&
    separableFits(x.shape[3], outChannels)
  ) {
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
  }
  return pointwiseConv(depthwiseConv2d(x, depthwise, options), pointwise);
}
