/**
 * The output of a MixedOp with partial channel connections (channel sampling
 * "first", as the reference): `channelShuffle(concat([processed, bypassed]),
 * k)`. On wasm (SIMD copies on the heap) and webgpu (one WGSL dispatch) it is
 * one op that reads the bypassed channels in place; elsewhere the bypassed
 * channels are sliced, concatenated and shuffled with tfjs ops.
 */
import type { Tensor4D } from "../tensor_types.ts";
import * as tf from "../tf.ts";
import { concatChannels, copyBlocks, weightedSum } from "./host_layout.ts";
import { customOp } from "./custom_gradient.ts";
import { type SimdKernels, simdKernels } from "./simd/simd_kernels.ts";
import { webGpuProgramsActive } from "./webgpu/webgpu_programs.ts";
import { shuffleWithBypassWebGpu } from "./webgpu/shuffle_programs.ts";
import {
  weightedShuffleFits,
  weightedShuffleWebGpu,
} from "./webgpu/weighted_shuffle_programs.ts";

/**
 * Reorders NHWC channels from [K groups of C/K] to [C/K groups of K]
 * (`channel_shuffle(x, K)` of the reference).
 */
export function channelShuffle(x: Tensor4D, groups: number): Tensor4D {
  if (groups === 1) return x;
  const [n, h, w, c] = x.shape;
  const grouped = tf.reshape(x, [n * h * w, groups, c / groups]);
  return tf.reshape(tf.transpose(grouped, [0, 2, 1]), [n, h, w, c]);
}

/**
 * `channelShuffle(concat([processed, bypassed]), k)` as one op on the wasm heap,
 * where `bypassed` is channels `offset … offset + (k−1)·part` of `source` (read
 * in place: no slice, no concatenated copy, no transpose). Output channel
 * `j·k + g` is `processed[j]` for g = 0 and `bypassed[(g−1)·part + j]` else.
 */
function shuffleWithBypass(
  simd: SimdKernels,
  processed: tf.Tensor4D,
  source: tf.Tensor4D,
  offset: number,
  k: number,
): tf.Tensor4D {
  const [n, h, w, part] = processed.shape;
  const sourceChannels = source.shape[3];
  const channels = part * k;
  const pixels = n * h * w;
  // Group g's channels: where they are in (processed or source) and in out.
  const groups = Array.from({ length: k }, (_, g) => ({
    fromSource: g > 0,
    offset: g === 0 ? 0 : offset + (g - 1) * part,
    stride: g === 0 ? part : sourceChannels,
  }));
  const move = (
    group: (typeof groups)[number],
    inputPointer: number,
    outPointer: number,
    g: number,
    gather: boolean,
  ) => {
    const input = {
      pointer: inputPointer,
      offset: group.offset,
      strides: [0, group.stride, 1],
    };
    const out = { pointer: outPointer, offset: g, strides: [0, channels, k] };
    copyBlocks(
      simd,
      gather ? input : out,
      gather ? out : input,
      [1, pixels, part],
      1,
    );
  };
  const op = customOp(([first, second]) => {
    const out = simd.allocate([n, h, w, channels]);
    groups.forEach((group, g) =>
      move(
        group,
        simd.pointer(group.fromSource ? second : first),
        out.pointer,
        g,
        true,
      )
    );
    return {
      value: out.tensor,
      gradFunc: (dy) => {
        const dProcessed = simd.allocate(processed.shape);
        const dSource = simd.allocate(source.shape);
        simd.kernels.zero(dSource.pointer, source.size);
        groups.forEach((group, g) =>
          move(
            group,
            group.fromSource ? dSource.pointer : dProcessed.pointer,
            simd.pointer(dy),
            g,
            false,
          )
        );
        return [dProcessed.tensor, dSource.tensor];
      },
    };
  });
  return op(processed, source) as tf.Tensor4D;
}

/**
 * `channelShuffle(concat([processed, bypassed]), k)`. At stride 1 the bypassed
 * channels are `x`'s channels after the first `processed.shape[3]`, read in
 * place where a fused op exists; at stride 2 they are `pooled()`.
 */
export function partialChannelOutput(
  processed: tf.Tensor4D,
  x: tf.Tensor4D,
  k: number,
  stride: number,
  bypassed: () => tf.Tensor4D,
): tf.Tensor4D {
  const simd = simdKernels();
  if (simd !== null || webGpuProgramsActive()) {
    const fused = (source: tf.Tensor4D, offset: number) =>
      simd !== null
        ? shuffleWithBypass(simd, processed, source, offset, k)
        : shuffleWithBypassWebGpu(processed, source, offset, k);
    return stride === 1 ? fused(x, processed.shape[3]) : fused(bypassed(), 0);
  }
  return channelShuffle(concatChannels([processed, bypassed()]), k);
}

/**
 * `partialChannelOutput(weightedSum(terms, weights, indices), x, k, stride,
 * bypassed)`: a partial-channel MixedOp's output from its operations'
 * outputs. On webgpu one program each way where it fits
 * (`webgpu/weighted_shuffle_programs.ts`), elsewhere the two ops.
 */
export function weightedPartialChannelOutput(
  terms: tf.Tensor4D[],
  weights: tf.Tensor1D,
  indices: number[],
  x: tf.Tensor4D,
  k: number,
  stride: number,
  bypassed: () => tf.Tensor4D,
): tf.Tensor4D {
  if (
    webGpuProgramsActive() && k > 1 &&
    new Set(indices).size === indices.length &&
    weightedShuffleFits(terms.length, terms[0].size)
  ) {
    const part = terms[0].shape[3];
    return stride === 1
      ? weightedShuffleWebGpu(terms, weights, indices, x, part, k)
      : weightedShuffleWebGpu(terms, weights, indices, bypassed(), 0, k);
  }
  return partialChannelOutput(
    weightedSum(terms, weights, indices),
    x,
    k,
    stride,
    bypassed,
  );
}
