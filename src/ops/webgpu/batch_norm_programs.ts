/**
 * Training-mode batch normalization as WGSL programs on the webgpu backend:
 * three dispatches forward (mean, variance, normalize) and two backward
 * (Σdy and Σdy·x̂ together, the input gradient) where the portable tfjs
 * version launches about 23 kernels, several of them transposes for the
 * reductions; above `reductionChunk()` pixels per channel each of the three
 * sums takes two dispatches (partial sums over chunks, then their total).
 * Formulas as PyTorch's: biased variance `Σ(x − μ)²/N` (two passes), `x̂ = (x − μ)/√(σ² + ε)`,
 * `dx = (dy − Σdy/N − x̂·Σ(dy·x̂)/N)·γ/√(σ² + ε)`, `dγ = Σdy·x̂`, `dβ = Σdy`,
 * sums over N·H·W per channel in float32, as tfjs' own reductions.
 */
import * as tf from "../../tf.ts";
import { customOp } from "../custom_gradient.ts";
import type { BatchNormResult } from "../batch_norm.ts";
import {
  chunking,
  elementProgram,
  type Program,
  REDUCE_WORKGROUP,
  runProgram,
  workgroupSumSnippet,
} from "./webgpu_programs.ts";

/**
 * What a per-channel reduction sums: the input (for the mean), its squared
 * deviation from the mean (the variance), or the backward pass's two sums Σdy
 * and Σdy·(x − μ) (two rows of results).
 */
export type Reduction = "mean" | "variance" | "backward";

const REDUCTIONS: Record<
  Reduction,
  { inputs: string[]; terms: string[] }
> = {
  mean: { inputs: ["x"], terms: ["x[at]"] },
  variance: {
    inputs: ["x", "mean"],
    terms: ["(x[at] - mean[channel]) * (x[at] - mean[channel])"],
  },
  backward: {
    inputs: ["dy", "x", "mean"],
    terms: ["dy[at]", "dy[at] * (x[at] - mean[channel])"],
  },
};

/** WGSL: row `row`'s final value from its raw sum `total` (in `main`). */
function finalValue(reduction: Reduction, row: number): string {
  if (reduction !== "backward") return "total / f32(uniforms.pixels)";
  return row === 0
    ? "total"
    : "total / sqrt(variance[channel] + uniforms.epsilon)";
}

/**
 * Sums of `reduction` per channel over a range of pixels: workgroup
 * `(channel, chunk)` covers `chunk·uniforms.chunk` up to the next chunk,
 * strided by the workgroup size. With one chunk (`finish`) it writes the final
 * values; else the raw sums, `result[(row·chunks + chunk)·C + channel]`.
 */
function partialSumsProgram(
  reduction: Reduction,
  channels: number,
  chunks: number,
  finish: boolean,
): Program {
  const { inputs, terms } = REDUCTIONS[reduction];
  const rows = terms.length;
  const scaled = finish && reduction === "backward";
  return {
    shaderKey: `pcdarts_bn_${finish ? "reduce" : "partial"}_${reduction}`,
    outputShape: [rows * chunks * channels],
    variableNames: scaled ? [...inputs, "variance"] : inputs,
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: [channels, chunks, 1],
    dispatchLayout: { x: [0] },
    uniforms: "pixels : i32, channels : i32, epsilon : f32, chunk : i32,",
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn main(index : i32) {
        let channel = i32(workgroupId.x);
        let piece = i32(workgroupId.y);
        let chunks = i32(numWorkgroups.y);
        let channels = uniforms.channels;
        let first = piece * uniforms.chunk;
        let end = min(first + uniforms.chunk, uniforms.pixels);
        ${terms.map((_, r) => `var sum${r} = 0.0;`).join("\n        ")}
        for (var p = first + i32(localIndex); p < end; p = p + ${REDUCE_WORKGROUP}) {
          let at = p * channels + channel;
          ${
      terms.map((t, r) => `sum${r} = sum${r} + ${t};`).join("\n          ")
    }
        }
        ${
      terms.map((_, r) => `
        {
          let total = workgroupSum(sum${r});
          if (localIndex == 0u) {
            result[(${r} * chunks + piece) * channels + channel] = ${
        finish ? finalValue(reduction, r) : "total"
      };
          }
        }`).join("")
    }
      }`,
  };
}

/**
 * The second level: workgroup `channel` adds its `chunks` partial sums
 * (`partials[(row·chunks + chunk)·C + channel]`) and writes the final values.
 */
function finishProgram(
  reduction: Reduction,
  channels: number,
): Program {
  const rows = REDUCTIONS[reduction].terms.length;
  return {
    shaderKey: `pcdarts_bn_finish_${reduction}`,
    outputShape: [rows * channels],
    variableNames: reduction === "backward"
      ? ["partials", "variance"]
      : ["partials"],
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: [channels, 1, 1],
    dispatchLayout: { x: [0] },
    uniforms: "pixels : i32, channels : i32, epsilon : f32, chunks : i32,",
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn main(index : i32) {
        let channel = i32(workgroupId.x);
        let channels = uniforms.channels;
        ${
      Array.from({ length: rows }, (_, r) => `
        {
          var sum = 0.0;
          for (var piece = i32(localIndex); piece < uniforms.chunks; piece = piece + ${REDUCE_WORKGROUP}) {
            sum = sum + partials[(${r} * uniforms.chunks + piece) * channels + channel];
          }
          let total = workgroupSum(sum);
          if (localIndex == 0u) {
            result[${r} * channels + channel] = ${finalValue(reduction, r)};
          }
        }`).join("")
    }
      }`,
  };
}

/**
 * Per-channel `reduction` of NHWC `inputs` (see {@linkcode REDUCTIONS}; the
 * backward one also takes the variance last): one dispatch up to
 * `reductionChunk` pixels, else partial sums and a finishing dispatch.
 */
export function channelReduction(
  reduction: Reduction,
  inputs: tf.Tensor[],
  pixels: number,
  channels: number,
  epsilon: number,
): tf.Tensor {
  const { chunks, chunk } = chunking(pixels);
  const uniforms = (last: number) => [
    { type: "int32" as const, data: [pixels] },
    { type: "int32" as const, data: [channels] },
    { type: "float32" as const, data: [epsilon] },
    { type: "int32" as const, data: [last] },
  ];
  const variance = reduction === "backward" ? [inputs[inputs.length - 1]] : [];
  const summed = reduction === "backward" ? inputs.slice(0, -1) : inputs;
  if (chunks === 1) {
    return runProgram(
      partialSumsProgram(reduction, channels, 1, true),
      [...summed, ...variance],
      uniforms(chunk),
    );
  }
  const partials = runProgram(
    partialSumsProgram(reduction, channels, chunks, false),
    summed,
    uniforms(chunk),
  );
  const result = runProgram(
    finishProgram(reduction, channels),
    [partials, ...variance],
    uniforms(chunks),
  );
  partials.dispose();
  return result;
}

/** `y = (x − μ)/√(σ² + ε)·γ + β` (γ, β when affine), one invocation per element. */
function normalizeProgram(shape: number[], affine: boolean): Program {
  return elementProgram({
    shaderKey: `pcdarts_bn_normalize_${affine}`,
    outputShape: shape,
    variableNames: affine
      ? ["x", "mean", "variance", "gamma", "beta"]
      : ["x", "mean", "variance"],
    uniforms: "channels : i32, epsilon : f32,",
    body: `
          let c = index % uniforms.channels;
          let normalized = (x[index] - mean[c]) / sqrt(variance[c] + uniforms.epsilon);
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
      "mean",
      "variance",
      "sums",
      ...(affine ? ["gamma"] : []),
    ],
    uniforms: "channels : i32, epsilon : f32, pixels : f32,",
    body: `
          let c = index % uniforms.channels;
          let inverseStd = 1.0 / sqrt(variance[c] + uniforms.epsilon);
          let normalized = (x[index] - mean[c]) * inverseStd;
          let centredDy = dy[index] - sums[c] / uniforms.pixels -
            normalized * (sums[uniforms.channels + c] / uniforms.pixels);
          result[index] = centredDy * inverseStd${
      affine ? " * gamma[c]" : ""
    };`,
  });
}

/**
 * Training-mode batch normalization with WGSL programs (see the module
 * header); same contract as `batchNormTraining`.
 */
export function batchNormTrainingWebGpu(
  x: tf.Tensor4D,
  gamma: tf.Tensor1D | undefined,
  beta: tf.Tensor1D | undefined,
  epsilon: number,
): BatchNormResult {
  const channels = x.shape[3];
  const pixels = x.size / channels;
  const elementUniforms = [
    { type: "int32" as const, data: [channels] },
    { type: "float32" as const, data: [epsilon] },
  ];
  const affine = gamma !== undefined && beta !== undefined;
  let mean: tf.Tensor1D | undefined;
  let variance: tf.Tensor1D | undefined;
  const op = customOp((tensors, save) => {
    const input = tensors[0];
    const mu = channelReduction("mean", [input], pixels, channels, epsilon);
    const sigma2 = channelReduction(
      "variance",
      [input, mu],
      pixels,
      channels,
      epsilon,
    );
    const value = runProgram(
      normalizeProgram(x.shape, affine),
      affine
        ? [input, mu, sigma2, tensors[1], tensors[2]]
        : [input, mu, sigma2],
      elementUniforms,
    );
    mean = tf.keep(mu as tf.Tensor1D);
    variance = tf.keep(sigma2 as tf.Tensor1D);
    save(affine ? [input, mu, sigma2, tensors[1]] : [input, mu, sigma2]);
    return {
      value,
      gradFunc: (dy, [xSaved, muSaved, sigma2Saved, gammaSaved]) => {
        const sums = channelReduction(
          "backward",
          [dy, xSaved, muSaved, sigma2Saved],
          pixels,
          channels,
          epsilon,
        );
        const dx = runProgram(
          inputGradientProgram(x.shape, affine),
          [
            dy,
            xSaved,
            muSaved,
            sigma2Saved,
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
  return { output, mean: mean!, variance: variance! };
}
