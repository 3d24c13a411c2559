/**
 * The output of a MixedOp with partial channel connections (channel sampling
 * "first", as the reference): `channelShuffle(concat([processed, bypassed]),
 * k)`. Portable: the bypassed channels sliced, concatenated and shuffled with
 * tfjs ops. The wasm (SIMD copies on the heap) and webgpu (one WGSL dispatch)
 * backends register one op that reads the bypassed channels in place.
 */
import * as tf from "../tf.ts";
import { concatChannels, weightedSum } from "./layout.ts";
import { defineOp } from "./op_kernels.ts";
import { channelShuffle } from "./channel_shuffle.ts";

/**
 * `channelShuffle(concat([processed, bypassed]), k)`. At stride 1 the bypassed
 * channels are `x`'s channels after the first `processed.shape[3]`, read in
 * place where a fused op exists; at stride 2 they are `pooled()`.
 */
export const partialChannelOutput = defineOp(
  "partialChannelOutput",
  (
    processed: tf.Tensor4D,
    _x: tf.Tensor4D,
    k: number,
    _stride: number,
    bypassed: () => tf.Tensor4D,
  ): tf.Tensor4D => channelShuffle(concatChannels([processed, bypassed()]), k),
);

/**
 * `partialChannelOutput(weightedSum(terms, weights, indices), x, k, stride,
 * bypassed)`: a partial-channel MixedOp's output from its operations'
 * outputs. Portable: the two ops (webgpu registers one program each way
 * where it fits, `webgpu/weighted_shuffle_programs.ts`).
 */
export const weightedPartialChannelOutput = defineOp(
  "weightedPartialChannelOutput",
  (
    terms: tf.Tensor4D[],
    weights: tf.Tensor1D,
    indices: number[],
    x: tf.Tensor4D,
    k: number,
    stride: number,
    bypassed: () => tf.Tensor4D,
  ): tf.Tensor4D =>
    partialChannelOutput(
      weightedSum(terms, weights, indices),
      x,
      k,
      stride,
      bypassed,
    ),
);
