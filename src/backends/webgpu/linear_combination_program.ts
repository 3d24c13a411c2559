/**
 * `Σ cₖ·tₖ` of same-shape tensors with scalar coefficients as one WGSL dispatch
 * on the webgpu backend, summed in the order given. An optimizer's update or a
 * running-statistics average was four to six tfjs kernels per variable (a
 * multiply per coefficient, an add per term), and a search network has about
 * 900 variables and 600 batch norms a step.
 */
import type * as tf from "../../tf.ts";
import { elementProgram, type Program, runProgram } from "./webgpu_programs.ts";

const NAMES = ["a", "b", "c", "d"];

function linearCombinationProgram(shape: number[], terms: number): Program {
  const names = NAMES.slice(0, terms);
  const sum = names.map((name, k) =>
    `uniforms.coefficient${k} * ${name}[index]`
  ).join(" + ");
  return elementProgram({
    shaderKey: `pcdarts_linear_combination_${terms}`,
    outputShape: shape,
    variableNames: names,
    uniforms: names.map((_, k) => `coefficient${k} : f32,`).join(" "),
    body: `result[index] = ${sum};`,
  });
}

/**
 * `Σ coefficientₖ·tensorₖ` (one to four terms of one shape) as one webgpu
 * dispatch. Call only when `webGpuProgramsActive()`.
 */
export function linearCombinationWebGpu(
  terms: [tf.Tensor, number][],
): tf.Tensor {
  if (terms.length < 1 || terms.length > NAMES.length) {
    throw new Error(
      `linearCombinationWebGpu takes 1 to ${NAMES.length} terms, got ${terms.length}`,
    );
  }
  const shape = terms[0][0].shape;
  for (const [t] of terms) {
    if (t.size !== terms[0][0].size) {
      throw new Error(
        `linearCombinationWebGpu: shapes differ (${t.shape} and ${shape})`,
      );
    }
  }
  return runProgram(
    linearCombinationProgram(shape, terms.length),
    terms.map(([t]) => t),
    terms.map(([, c]) => ({ type: "float32" as const, data: [c] })),
  );
}
