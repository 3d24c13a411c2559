/**
 * Batch norm without γ and β (every batch norm of the search's operations) in
 * one dispatch per pass where a channel's pixels fit one reduction
 * (`reductionChunk()`), else two: the last level of each reduction and the
 * elementwise pass that needs its result run in one program, each workgroup
 * finishing its channel's sums and then normalizing (or differentiating) its
 * own chunk of pixels. The separate programs of `batch_norm_programs.ts` took
 * two dispatches forward and two backward at one level, three and three at
 * two; the arithmetic here is theirs, expression for expression, so the
 * results are the same bits.
 *
 * Forward writes `y` and the statistics `[μ, σ²]`; backward writes `dx` and
 * reads the statistics the forward pass wrote. A ReLU after the batch norm
 * (inside `sep_conv`) can be fused too: the output is `max(y, 0)`, and the
 * backward pass reads `dy` only where that output is positive.
 */
import type * as tf from "../../tf.ts";
import { runMultiOutputProgram } from "./multi_output_program.ts";
import {
  chunking,
  elementDispatch,
  REDUCE_WORKGROUP,
  workgroupSumSnippet,
} from "./webgpu_programs.ts";
import {
  backwardSumsPartials,
  momentsPartials,
} from "./batch_norm_programs.ts";

/** Mean and variance of the channel from one chunk holding all its pixels. */
const WHOLE_MOMENTS = `
  var sum = 0.0;
  for (var p = i32(localIndex); p < uniforms.pixels; p = p + ${REDUCE_WORKGROUP}) {
    sum = sum + x[p * channels + channel];
  }
  let total = workgroupSum(sum);
  let mean = total / f32(max(uniforms.pixels, 1));
  var squares = 0.0;
  for (var p = i32(localIndex); p < uniforms.pixels; p = p + ${REDUCE_WORKGROUP}) {
    let deviation = x[p * channels + channel] - mean;
    squares = squares + deviation * deviation;
  }
  let variance = workgroupSum(squares) / f32(uniforms.pixels);`;

/**
 * Mean and variance from the chunks' sums and squared deviations (Chan et
 * al.), given `channel` and `channels`; shared with the separate programs'
 * second level, so that both give the same bits.
 */
export const COMBINED_MOMENTS = `
  let chunks = uniforms.chunks;
  var sum = 0.0;
  for (var piece = i32(localIndex); piece < chunks; piece = piece + ${REDUCE_WORKGROUP}) {
    sum = sum + partials[piece * channels + channel];
  }
  let mean = workgroupSum(sum) / f32(uniforms.pixels);
  var deviations = 0.0;
  for (var piece = i32(localIndex); piece < chunks; piece = piece + ${REDUCE_WORKGROUP}) {
    let n = f32(max(1, min(uniforms.chunk, uniforms.pixels - piece * uniforms.chunk)));
    let offset = partials[piece * channels + channel] / n - mean;
    deviations = deviations + partials[(chunks + piece) * channels + channel] +
      n * offset * offset;
  }
  let variance = workgroupSum(deviations) / f32(uniforms.pixels);`;

const NORMALIZE = `
  if (localIndex == 0u && i32(workgroupId.y) == 0) {
    statistics[channel] = mean;
    statistics[channels + channel] = variance;
  }
  let first = i32(workgroupId.y) * uniforms.chunk;
  let end = min(first + uniforms.chunk, uniforms.pixels);
  for (var p = first + i32(localIndex); p < end; p = p + ${REDUCE_WORKGROUP}) {
    let at = p * channels + channel;
    y[at] = OUTPUT;
  }`;

/** `Σdy` and `Σdy·(x − μ)` of the channel from one chunk holding all its pixels. */
const WHOLE_BACKWARD_SUMS = `
  let mean = statistics[channel];
  var partDy = 0.0;
  var partDyCentred = 0.0;
  for (var p = i32(localIndex); p < uniforms.pixels; p = p + ${REDUCE_WORKGROUP}) {
    let at = p * channels + channel;
    let g = UPSTREAM;
    partDy = partDy + g;
    partDyCentred = partDyCentred + g * (x[at] - mean);
  }
  let sumDy = workgroupSum(partDy);
  let sumDyCentred = workgroupSum(partDyCentred);`;

/** `sumDy` and `sumDyCentred` from the chunks' partial sums (shared likewise). */
export const COMBINED_BACKWARD_SUMS = `
  let chunks = uniforms.chunks;
  var partDy = 0.0;
  var partDyCentred = 0.0;
  for (var piece = i32(localIndex); piece < chunks; piece = piece + ${REDUCE_WORKGROUP}) {
    partDy = partDy + partials[piece * channels + channel];
    partDyCentred = partDyCentred + partials[(chunks + piece) * channels + channel];
  }
  let sumDy = workgroupSum(partDy);
  let sumDyCentred = workgroupSum(partDyCentred);`;

const INPUT_GRADIENT = `
  let sumDyNormalized = sumDyCentred /
    sqrt(statistics[channels + channel] + uniforms.epsilon);
  let first = i32(workgroupId.y) * uniforms.chunk;
  let end = min(first + uniforms.chunk, uniforms.pixels);
  for (var p = first + i32(localIndex); p < end; p = p + ${REDUCE_WORKGROUP}) {
    let at = p * channels + channel;
    let inverseStd = 1.0 / sqrt(statistics[channels + channel] + uniforms.epsilon);
    let normalized = (x[at] - statistics[channel]) * inverseStd;
    let centredDy = UPSTREAM - sumDy / uniforms.pixelCount -
      normalized * (sumDyNormalized / uniforms.pixelCount);
    dx[at] = centredDy * inverseStd;
  }`;

function uniformsOf(
  pixels: number,
  channels: number,
  epsilon: number,
  chunk: number,
  chunks: number,
) {
  return [
    { name: "pixels", type: "i32" as const, value: pixels },
    { name: "channels", type: "i32" as const, value: channels },
    { name: "epsilon", type: "f32" as const, value: epsilon },
    { name: "chunk", type: "i32" as const, value: chunk },
    { name: "chunks", type: "i32" as const, value: chunks },
    { name: "pixelCount", type: "f32" as const, value: pixels },
  ];
}

/**
 * `y = (x − μ)/√(σ² + ε)` and `[μ, σ²]` of NHWC `x` (`pixels` per channel).
 */
export function normalizeFused(
  x: tf.Tensor,
  pixels: number,
  channels: number,
  epsilon: number,
  relu = false,
): { y: tf.Tensor; statistics: tf.Tensor } {
  const { chunks, chunk } = chunking(pixels);
  const partials = chunks === 1 ? null : momentsPartials(x, pixels, channels);
  const [y, statistics] = runMultiOutputProgram({
    key: `pcdarts_bn_forward_${chunks === 1 ? "whole" : "finish"}${
      relu ? "_relu" : ""
    }`,
    writes: [
      { name: "y", shape: x.shape },
      { name: "statistics", shape: [2 * channels] },
    ],
    reads: [
      { name: "x", tensor: x },
      ...(partials ? [{ name: "partials", tensor: partials }] : []),
    ],
    uniforms: uniformsOf(pixels, channels, epsilon, chunk, chunks),
    workgroupSize: REDUCE_WORKGROUP,
    workgroups: [channels, chunks, 1],
    prelude: workgroupSumSnippet(),
    body: `
  let channel = i32(workgroupId.x);
  let channels = uniforms.channels;
  ${partials ? COMBINED_MOMENTS : WHOLE_MOMENTS}
  ${
      NORMALIZE.replace(
        "OUTPUT",
        relu
          ? "max((x[at] - mean) / sqrt(variance + uniforms.epsilon), 0.0)"
          : "(x[at] - mean) / sqrt(variance + uniforms.epsilon)",
      )
    }`,
  });
  partials?.dispose();
  return { y, statistics };
}

/**
 * `dx = (dy − Σdy/N − x̂·Σ(dy·x̂)/N)/√(σ² + ε)` from `dy`, `x` and the forward
 * pass's statistics; given the fused ReLU's `output`, `dy` counts only where
 * it is positive.
 */
export function normalizeFusedGradient(
  dy: tf.Tensor,
  x: tf.Tensor,
  statistics: tf.Tensor,
  pixels: number,
  channels: number,
  epsilon: number,
  output?: tf.Tensor,
): tf.Tensor {
  const upstream = output ? "select(0.0, dy[at], output[at] > 0.0)" : "dy[at]";
  const { chunks, chunk } = chunking(pixels);
  // The first level takes the masked gradient as its dy.
  const masked = output && chunks > 1 ? maskedGradient(dy, output) : dy;
  const partials = chunks === 1
    ? null
    : backwardSumsPartials(masked, x, statistics, pixels, channels, epsilon);
  const [dx] = runMultiOutputProgram({
    key: `pcdarts_bn_backward_${chunks === 1 ? "whole" : "finish"}${
      output ? "_relu" : ""
    }`,
    writes: [{ name: "dx", shape: x.shape }],
    reads: [
      { name: "dy", tensor: dy },
      { name: "x", tensor: x },
      { name: "statistics", tensor: statistics },
      ...(partials ? [{ name: "partials", tensor: partials }] : []),
      ...(output ? [{ name: "output", tensor: output }] : []),
    ],
    uniforms: uniformsOf(pixels, channels, epsilon, chunk, chunks),
    workgroupSize: REDUCE_WORKGROUP,
    workgroups: [channels, chunks, 1],
    prelude: workgroupSumSnippet(),
    body: `
  let channel = i32(workgroupId.x);
  let channels = uniforms.channels;
  ${
      (partials ? COMBINED_BACKWARD_SUMS : WHOLE_BACKWARD_SUMS).replaceAll(
        "UPSTREAM",
        upstream,
      )
    }
  ${INPUT_GRADIENT.replaceAll("UPSTREAM", upstream)}`,
  });
  partials?.dispose();
  if (masked !== dy) masked.dispose();
  return dx;
}

/** `dy` where `output > 0`, else 0 (the ReLU's gradient, for the two-level sums). */
function maskedGradient(dy: tf.Tensor, output: tf.Tensor): tf.Tensor {
  const [masked] = runMultiOutputProgram({
    key: "pcdarts_relu_mask",
    writes: [{ name: "masked", shape: dy.shape }],
    reads: [{ name: "dy", tensor: dy }, { name: "output", tensor: output }],
    uniforms: [{ name: "size", type: "i32", value: dy.size }],
    workgroupSize: REDUCE_WORKGROUP,
    workgroups: elementDispatch(dy.size, REDUCE_WORKGROUP),
    body: `if (index >= uniforms.size) { return; }
  masked[index] = select(0.0, dy[index], output[index] > 0.0);`,
  });
  return masked;
}
