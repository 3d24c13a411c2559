/**
 * Training-mode batch normalization as WGSL programs on the webgpu backend:
 * three dispatches forward (mean, variance, normalize) and two backward
 * (Σdy and Σdy·x̂ together, the input gradient) where the portable tfjs version launches
 * about 23 kernels, several of them transposes for the reductions. Formulas as
 * PyTorch's: biased variance `Σ(x − μ)²/N` (two passes), `x̂ = (x − μ)/√(σ² + ε)`,
 * `dx = (dy − Σdy/N − x̂·Σ(dy·x̂)/N)·γ/√(σ² + ε)`, `dγ = Σdy·x̂`, `dβ = Σdy`,
 * sums over N·H·W per channel in float32, as tfjs' own reductions.
 */
import * as tf from "../../tf.ts";
import { customOp } from "../custom_gradient.ts";
import type { BatchNormResult } from "../batch_norm.ts";
import {
  elementDispatch,
  type Program,
  REDUCE_WORKGROUP,
  runProgram,
  workgroupSumSnippet,
} from "./webgpu_programs.ts";

/** What a per-channel reduction of the forward pass sums. */
type Summand = "x" | "squaredDeviation";

const SUMMANDS: Record<Summand, { inputs: string[]; term: string }> = {
  x: { inputs: ["x"], term: "x[at]" },
  squaredDeviation: {
    inputs: ["x", "mean"],
    term: "(x[at] - centre) * (x[at] - centre)",
  },
};

/**
 * One workgroup per channel sums `summand` over the pixels (strided by the
 * workgroup size) and writes `sum / N`: the mean, or the biased variance.
 */
function channelReduction(
  summand: Summand,
  channels: number,
): Program {
  const { inputs, term } = SUMMANDS[summand];
  const centred = inputs.includes("mean");
  return {
    shaderKey: `pcdarts_bn_reduce_${summand}`,
    outputShape: [channels],
    variableNames: inputs,
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: [channels, 1, 1],
    dispatchLayout: { x: [0] },
    uniforms: "pixels : i32, channels : i32,",
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn main(index : i32) {
        let channel = i32(workgroupId.x);
        let channels = uniforms.channels;
        ${centred ? "let centre = mean[channel];" : ""}
        var sum = 0.0;
        for (var p = i32(localIndex); p < uniforms.pixels; p = p + ${REDUCE_WORKGROUP}) {
          let at = p * channels + channel;
          sum = sum + ${term};
        }
        let total = workgroupSum(sum);
        if (localIndex == 0u) {
          result[channel] = total / f32(uniforms.pixels);
        }
      }`,
  };
}

/**
 * The backward pass's two sums in one dispatch, one workgroup per channel:
 * `result[c] = Σdy` (β's gradient) and `result[C + c] = Σdy·x̂` (γ's).
 */
function backwardSumsProgram(channels: number): Program {
  return {
    shaderKey: "pcdarts_bn_backward_sums",
    outputShape: [2 * channels],
    variableNames: ["dy", "x", "mean", "variance"],
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: [channels, 1, 1],
    dispatchLayout: { x: [0] },
    uniforms: "pixels : i32, channels : i32, epsilon : f32,",
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn main(index : i32) {
        let channel = i32(workgroupId.x);
        let channels = uniforms.channels;
        let centre = mean[channel];
        var sumDy = 0.0;
        var sumDyCentred = 0.0;
        for (var p = i32(localIndex); p < uniforms.pixels; p = p + ${REDUCE_WORKGROUP}) {
          let at = p * channels + channel;
          sumDy = sumDy + dy[at];
          sumDyCentred = sumDyCentred + dy[at] * (x[at] - centre);
        }
        let totalDy = workgroupSum(sumDy);
        let totalDyCentred = workgroupSum(sumDyCentred);
        if (localIndex == 0u) {
          result[channel] = totalDy;
          result[channels + channel] =
            totalDyCentred / sqrt(variance[channel] + uniforms.epsilon);
        }
      }`,
  };
}

/** `y = (x − μ)/√(σ² + ε)·γ + β` (γ, β when affine), one invocation per element. */
function normalizeProgram(shape: number[], affine: boolean): Program {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    shaderKey: `pcdarts_bn_normalize_${affine}`,
    outputShape: shape,
    variableNames: affine
      ? ["x", "mean", "variance", "gamma", "beta"]
      : ["x", "mean", "variance"],
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: elementDispatch(size, REDUCE_WORKGROUP),
    dispatchLayout: { x: [0, 1, 2, 3] },
    size: true,
    uniforms: "channels : i32, epsilon : f32,",
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = index % uniforms.channels;
          let normalized = (x[index] - mean[c]) / sqrt(variance[c] + uniforms.epsilon);
          result[index] = ${
      affine ? "normalized * gamma[c] + beta[c]" : "normalized"
    };
        }
      }`,
  };
}

/** `dx = (dy − Σdy/N − x̂·Σ(dy·x̂)/N)·γ/√(σ² + ε)`, one invocation per element. */
function inputGradientProgram(shape: number[], affine: boolean): Program {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
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
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: elementDispatch(size, REDUCE_WORKGROUP),
    dispatchLayout: { x: [0, 1, 2, 3] },
    size: true,
    uniforms: "channels : i32, epsilon : f32, pixels : f32,",
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = index % uniforms.channels;
          let inverseStd = 1.0 / sqrt(variance[c] + uniforms.epsilon);
          let normalized = (x[index] - mean[c]) * inverseStd;
          let centredDy = dy[index] - sums[c] / uniforms.pixels -
            normalized * (sums[uniforms.channels + c] / uniforms.pixels);
          result[index] = centredDy * inverseStd${affine ? " * gamma[c]" : ""};
        }
      }`,
  };
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
  const reduceUniforms = [
    { type: "int32" as const, data: [pixels] },
    { type: "int32" as const, data: [channels] },
  ];
  const elementUniforms = [
    { type: "int32" as const, data: [channels] },
    { type: "float32" as const, data: [epsilon] },
  ];
  const affine = gamma !== undefined && beta !== undefined;
  let mean: tf.Tensor1D | undefined;
  let variance: tf.Tensor1D | undefined;
  const op = customOp((tensors, save) => {
    const input = tensors[0];
    const mu = runProgram(
      channelReduction("x", channels),
      [input],
      reduceUniforms,
    );
    const sigma2 = runProgram(
      channelReduction("squaredDeviation", channels),
      [input, mu],
      reduceUniforms,
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
        const sums = runProgram(
          backwardSumsProgram(channels),
          [dy, xSaved, muSaved, sigma2Saved],
          [...reduceUniforms, { type: "float32", data: [epsilon] }],
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
