/**
 * Training-mode batch normalization as WGSL programs on the webgpu backend:
 * with γ and β, two dispatches forward (the statistics, normalize) and two
 * backward (Σdy and Σdy·x̂ together, the input gradient); without them, one
 * each way (`batch_norm_fused_programs.ts`), where the portable tfjs version
 * launches about 23 kernels, several of them transposes for the reductions;
 * above `reductionChunk()` pixels per channel each of the two reductions takes
 * two dispatches (partial sums over chunks, then their total). Formulas as
 * PyTorch's: biased variance `Σ(x − μ)²/N` (two passes over each chunk; chunks
 * combined as Chan et al.'s parallel variance), `x̂ = (x − μ)/√(σ² + ε)`,
 * `dx = (dy − Σdy/N − x̂·Σ(dy·x̂)/N)·γ/√(σ² + ε)`, `dγ = Σdy·x̂`, `dβ = Σdy`,
 * sums over N·H·W per channel in float32, as tfjs' own reductions.
 */
import * as tf from "../../tf.ts";
import { customOp } from "../../ops/custom_gradient.ts";
import type { BatchNormResult } from "../../ops/batch_norm.ts";
import {
  COMBINED_BACKWARD_SUMS,
  COMBINED_MOMENTS,
  normalizeFused,
  normalizeFusedGradient,
} from "./batch_norm_fused_programs.ts";
import {
  chunking,
  elementProgram,
  type Program,
  REDUCE_WORKGROUP,
  reductionWorkgroups,
  runProgram,
  workgroupSumSnippet,
} from "./webgpu_programs.ts";

/**
 * The batch statistics per channel, `[μ₀ … μ_{C−1}, σ²₀ … σ²_{C−1}]` (biased
 * variance), from one dispatch: workgroup `(channel, chunk)` sums its chunk
 * of pixels, then the squared deviations from the chunk's mean (two passes
 * over the same pixels, as PyTorch's two-pass variance). With one chunk
 * (`finish`) it writes the statistics; else the chunk's sum and squared
 * deviations, `result[(row·chunks + chunk)·C + channel]`, which
 * {@linkcode momentsFinishProgram} combines.
 */
function momentsProgram(
  channels: number,
  chunks: number,
  finish: boolean,
): Program {
  return {
    shaderKey: `pcdarts_bn_moments_${finish ? "whole" : "partial"}`,
    outputShape: [2 * chunks * channels],
    variableNames: ["x"],
    ...reductionWorkgroups(channels, chunks),
    uniforms: "pixels : i32, channels : i32, chunk : i32,",
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn main(index : i32) {
        let channel = i32(workgroupId.x);
        let piece = i32(workgroupId.y);
        let chunks = i32(numWorkgroups.y);
        let channels = uniforms.channels;
        let first = piece * uniforms.chunk;
        let end = min(first + uniforms.chunk, uniforms.pixels);
        var sum = 0.0;
        for (var p = first + i32(localIndex); p < end; p = p + ${REDUCE_WORKGROUP}) {
          sum = sum + x[p * channels + channel];
        }
        let total = workgroupSum(sum);
        // An empty chunk (only past 65,535 chunks) contributes nothing.
        let chunkMean = total / f32(max(end - first, 1));
        var squares = 0.0;
        for (var p = first + i32(localIndex); p < end; p = p + ${REDUCE_WORKGROUP}) {
          let deviation = x[p * channels + channel] - chunkMean;
          squares = squares + deviation * deviation;
        }
        let deviations = workgroupSum(squares);
        if (localIndex == 0u) {
          ${
      finish
        ? `result[channel] = chunkMean;
          result[channels + channel] = deviations / f32(uniforms.pixels);`
        : `result[piece * channels + channel] = total;
          result[(chunks + piece) * channels + channel] = deviations;`
    }
        }
      }`,
  };
}

/**
 * Combines the chunks' sums `S_k` and squared deviations `M_k` (over `n_k`
 * pixels each) per channel as Chan et al.'s parallel variance:
 * `μ = ΣS_k/N`, `σ² = (ΣM_k + Σn_k·(S_k/n_k − μ)²)/N`.
 */
function momentsFinishProgram(channels: number): Program {
  return {
    shaderKey: "pcdarts_bn_moments_finish",
    outputShape: [2 * channels],
    variableNames: ["partials"],
    ...reductionWorkgroups(channels),
    uniforms: "pixels : i32, channels : i32, chunk : i32, chunks : i32,",
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn main(index : i32) {
        let channel = i32(workgroupId.x);
        let channels = uniforms.channels;
        ${COMBINED_MOMENTS}
        if (localIndex == 0u) {
          result[channel] = mean;
          result[channels + channel] = variance;
        }
      }`,
  };
}

/**
 * The batch statistics `[μ, σ²]` (`[2C]`) of NHWC `x`: one dispatch up to
 * `reductionChunk` pixels per channel, else the chunks' sums and a combining
 * dispatch.
 */
export function channelMoments(
  x: tf.Tensor,
  pixels: number,
  channels: number,
): tf.Tensor {
  const { chunks, chunk } = chunking(pixels);
  if (chunks === 1) {
    return runProgram(
      momentsProgram(channels, 1, true),
      [x],
      momentsUniforms(pixels, channels, chunk),
    );
  }
  const partials = momentsPartials(x, pixels, channels);
  const result = runProgram(momentsFinishProgram(channels), [partials], [
    ...momentsUniforms(pixels, channels, chunk),
    { type: "int32", data: [chunks] },
  ]);
  partials.dispose();
  return result;
}

function momentsUniforms(pixels: number, channels: number, chunk: number) {
  return [
    { type: "int32" as const, data: [pixels] },
    { type: "int32" as const, data: [channels] },
    { type: "int32" as const, data: [chunk] },
  ];
}

/**
 * The first level of the statistics above `reductionChunk()` pixels: each
 * chunk's sum and squared deviations (see {@linkcode momentsProgram}).
 */
export function momentsPartials(
  x: tf.Tensor,
  pixels: number,
  channels: number,
): tf.Tensor {
  const { chunks, chunk } = chunking(pixels);
  return runProgram(
    momentsProgram(channels, chunks, false),
    [x],
    momentsUniforms(pixels, channels, chunk),
  );
}

/**
 * The backward pass's sums per channel, `[Σdy, Σdy·x̂]` (`[2C]`), from `dy`,
 * `x` and the statistics: workgroup `(channel, chunk)` sums a chunk of pixels;
 * with one chunk (`finish`) it writes the sums, else the raw ones,
 * `result[(row·chunks + chunk)·C + channel]`.
 */
function backwardSumsProgram(
  channels: number,
  chunks: number,
  finish: boolean,
): Program {
  return {
    shaderKey: `pcdarts_bn_backward_sums_${finish ? "whole" : "partial"}`,
    outputShape: [2 * chunks * channels],
    variableNames: ["dy", "x", "statistics"],
    ...reductionWorkgroups(channels, chunks),
    uniforms: "pixels : i32, channels : i32, epsilon : f32, chunk : i32,",
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn main(index : i32) {
        let channel = i32(workgroupId.x);
        let piece = i32(workgroupId.y);
        let chunks = i32(numWorkgroups.y);
        let channels = uniforms.channels;
        let mean = statistics[channel];
        let first = piece * uniforms.chunk;
        let end = min(first + uniforms.chunk, uniforms.pixels);
        var sumDy = 0.0;
        var sumDyCentred = 0.0;
        for (var p = first + i32(localIndex); p < end; p = p + ${REDUCE_WORKGROUP}) {
          let at = p * channels + channel;
          sumDy = sumDy + dy[at];
          sumDyCentred = sumDyCentred + dy[at] * (x[at] - mean);
        }
        let totalDy = workgroupSum(sumDy);
        let totalDyCentred = workgroupSum(sumDyCentred);
        if (localIndex == 0u) {
          ${
      finish
        ? `result[channel] = totalDy;
          result[channels + channel] = totalDyCentred /
            sqrt(statistics[channels + channel] + uniforms.epsilon);`
        : `result[piece * channels + channel] = totalDy;
          result[(chunks + piece) * channels + channel] = totalDyCentred;`
    }
        }
      }`,
  };
}

/** The second level of {@linkcode backwardSumsProgram}: adds the chunks' sums. */
function backwardFinishProgram(channels: number): Program {
  return {
    shaderKey: "pcdarts_bn_backward_finish",
    outputShape: [2 * channels],
    variableNames: ["partials", "statistics"],
    ...reductionWorkgroups(channels),
    uniforms: "channels : i32, epsilon : f32, chunks : i32,",
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn main(index : i32) {
        let channel = i32(workgroupId.x);
        let channels = uniforms.channels;
        ${COMBINED_BACKWARD_SUMS}
        if (localIndex == 0u) {
          result[channel] = sumDy;
          result[channels + channel] = sumDyCentred /
            sqrt(statistics[channels + channel] + uniforms.epsilon);
        }
      }`,
  };
}

/** `[Σdy, Σdy·x̂]` per channel (see {@linkcode backwardSumsProgram}). */
function backwardSums(
  dy: tf.Tensor,
  x: tf.Tensor,
  statistics: tf.Tensor,
  pixels: number,
  channels: number,
  epsilon: number,
): tf.Tensor {
  const { chunks, chunk } = chunking(pixels);
  if (chunks === 1) {
    return runProgram(
      backwardSumsProgram(channels, 1, true),
      [dy, x, statistics],
      backwardSumsUniforms(pixels, channels, epsilon, chunk),
    );
  }
  const partials = backwardSumsPartials(
    dy,
    x,
    statistics,
    pixels,
    channels,
    epsilon,
  );
  const result = runProgram(
    backwardFinishProgram(channels),
    [partials, statistics],
    [
      { type: "int32", data: [channels] },
      { type: "float32", data: [epsilon] },
      { type: "int32", data: [chunks] },
    ],
  );
  partials.dispose();
  return result;
}

function backwardSumsUniforms(
  pixels: number,
  channels: number,
  epsilon: number,
  chunk: number,
) {
  return [
    { type: "int32" as const, data: [pixels] },
    { type: "int32" as const, data: [channels] },
    { type: "float32" as const, data: [epsilon] },
    { type: "int32" as const, data: [chunk] },
  ];
}

/**
 * The first level of the backward sums above `reductionChunk()` pixels: each
 * chunk's `Σdy` and `Σdy·(x − μ)` (see {@linkcode backwardSumsProgram}).
 */
export function backwardSumsPartials(
  dy: tf.Tensor,
  x: tf.Tensor,
  statistics: tf.Tensor,
  pixels: number,
  channels: number,
  epsilon: number,
): tf.Tensor {
  const { chunks, chunk } = chunking(pixels);
  return runProgram(
    backwardSumsProgram(channels, chunks, false),
    [dy, x, statistics],
    backwardSumsUniforms(pixels, channels, epsilon, chunk),
  );
}

/** `y = (x − μ)/√(σ² + ε)·γ + β` (γ, β when affine), one invocation per element. */
function normalizeProgram(shape: number[], affine: boolean): Program {
  return elementProgram({
    shaderKey: `pcdarts_bn_normalize_${affine}`,
    outputShape: shape,
    variableNames: affine
      ? ["x", "statistics", "gamma", "beta"]
      : ["x", "statistics"],
    uniforms: "channels : i32, epsilon : f32,",
    body: `
          let c = index % uniforms.channels;
          let normalized = (x[index] - statistics[c]) /
            sqrt(statistics[uniforms.channels + c] + uniforms.epsilon);
          result[index] = ${
      affine ? "normalized * gamma[c] + beta[c]" : "normalized"
    };`,
  });
}

/** `dx = (dy − Σdy/N − x̂·Σ(dy·x̂)/N)·γ/√(σ² + ε)`, one invocation per element. */
function inputGradientProgram(shape: number[], affine: boolean): Program {
  return elementProgram({
    shaderKey: `pcdarts_bn_input_gradient_${affine}`,
    outputShape: shape,
    variableNames: [
      "dy",
      "x",
      "statistics",
      "sums",
      ...(affine ? ["gamma"] : []),
    ],
    uniforms: "channels : i32, epsilon : f32, pixels : f32,",
    body: `
          let c = index % uniforms.channels;
          let inverseStd = 1.0 / sqrt(statistics[uniforms.channels + c] + uniforms.epsilon);
          let normalized = (x[index] - statistics[c]) * inverseStd;
          let centredDy = dy[index] - sums[c] / uniforms.pixels -
            normalized * (sums[uniforms.channels + c] / uniforms.pixels);
          result[index] = centredDy * inverseStd${
      affine ? " * gamma[c]" : ""
    };`,
  });
}

/**
 * Training-mode batch normalization with WGSL programs (see the module
 * header); same contract as `batchNormTraining`. With `relu` (no γ and β
 * only), the output is `max(y, 0)` and its gradient is masked in the same
 * programs.
 */
export function batchNormTrainingWebGpu(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  epsilon: number,
  relu = false,
): BatchNormResult {
  const channels = x.shape[3];
  const pixels = x.size / channels;
  const elementUniforms = [
    { type: "int32" as const, data: [channels] },
    { type: "float32" as const, data: [epsilon] },
  ];
  const affine = gamma !== undefined && beta !== undefined;
  if (relu && affine) {
    throw new Error(
      "batchNormTrainingWebGpu: relu is fused only without γ and β",
    );
  }
  let statistics: tf.Tensor1D | undefined;
  const op = customOp((tensors, save) => {
    const input = tensors[0];
    let moments: tf.Tensor;
    let value: tf.Tensor;
    if (affine) {
      moments = channelMoments(input, pixels, channels);
      value = runProgram(
        normalizeProgram(x.shape, affine),
        [input, moments, tensors[1], tensors[2]],
        elementUniforms,
      );
    } else {
      // The statistics and the normalization in one program (one level).
      const fused = normalizeFused(input, pixels, channels, epsilon, relu);
      moments = fused.statistics;
      value = fused.y;
    }
    statistics = tf.keep(moments as tf.Tensor1D);
    save(
      affine
        ? [input, moments, tensors[1]]
        : relu
        ? [input, moments, value]
        : [input, moments],
    );
    return {
      value,
      gradFunc: (dy, [xSaved, momentsSaved, gammaOrOutput]) => {
        if (!affine) {
          return [
            normalizeFusedGradient(
              dy,
              xSaved,
              momentsSaved,
              pixels,
              channels,
              epsilon,
              relu ? gammaOrOutput : undefined,
            ),
          ];
        }
        const gammaSaved = gammaOrOutput;
        const sums = backwardSums(
          dy,
          xSaved,
          momentsSaved,
          pixels,
          channels,
          epsilon,
        );
        const dx = runProgram(
          inputGradientProgram(x.shape, affine),
          [
            dy,
            xSaved,
            momentsSaved,
            sums,
            ...(affine ? [gammaSaved] : []),
          ],
          [...elementUniforms, { type: "float32", data: [pixels] }],
        );
        if (!affine) {
          sums.dispose();
          return [dx];
        }
        // γ and β (affine layers are few: the search's are not).
        const [sumDy, sumDyNormalized] = tf.split(sums, 2);
        sums.dispose();
        return [dx, sumDyNormalized, sumDy];
      },
    };
  });
  const output = (affine ? op(x, gamma, beta) : op(x)) as tf.Tensor4D;
  return { output, statistics: statistics! };
}

/**
 * PyTorch's running averages of a batch norm's `[2C]` statistics in one
 * dispatch: `running·(1 − momentum) + statistics·momentum`, the variance half
 * scaled by `correction` (N/(N − 1): the unbiased variance).
 */
export function runningAverageWebGpu(
  running: tf.Tensor,
  statistics: tf.Tensor,
  momentum: number,
  correction: number,
): tf.Tensor {
  const program = elementProgram({
    shaderKey: "pcdarts_bn_running_average",
    outputShape: running.shape,
    variableNames: ["running", "statistics"],
    uniforms:
      "channels : i32, keep : f32, meanWeight : f32, varianceWeight : f32,",
    body: `
          let weight = select(uniforms.meanWeight, uniforms.varianceWeight,
            index >= uniforms.channels);
          result[index] = uniforms.keep * running[index] + weight * statistics[index];`,
  });
  return runProgram(program, [running, statistics], [
    { type: "int32", data: [running.size / 2] },
    { type: "float32", data: [1 - momentum] },
    { type: "float32", data: [momentum] },
    { type: "float32", data: [momentum * correction] },
  ]);
}
