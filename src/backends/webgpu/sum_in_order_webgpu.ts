/**
 * `((t₀ + t₁) + t₂) + …` on the webgpu backend: tfjs' `AddN` binds every
 * input at once, and WebGPU's default limit is 8 storage buffers a stage, so
 * the terms are summed in chunks, left to right; by our program (as many
 * inputs as the device binds) when the programs are on, else by `AddN`, seven
 * at a time.
 */
import * as tf from "../../tf.ts";
import { executionOptions } from "../../ops/execution_options.ts";
import { storageBufferLimit } from "./webgpu_device.ts";
import { elementProgram, runProgram } from "./webgpu_programs.ts";
import "./webgpu_options.ts";

/** Most inputs of tfjs' webgpu `AddN`. */
const TERMS_PER_ADD_N = 7;

/** `sumTermsInOrder` (two terms or more) in chunks. */
export function sumInOrderWebGpu(terms: tf.Tensor[]): tf.Tensor {
  const programs = executionOptions().webGpuPrograms;
  // Our program binds as many inputs as the device allows, besides its output.
  const perDispatch = programs ? storageBufferLimit() - 1 : TERMS_PER_ADD_N;
  let total = terms[0];
  let next = 1;
  while (next < terms.length) {
    const count = Math.min(perDispatch - 1, terms.length - next);
    const group = [total, ...terms.slice(next, next + count)];
    const partial = total;
    total = programs ? sumWebGpu(group) : tf.addN(group);
    if (partial !== terms[0]) partial.dispose();
    next += count;
  }
  return total;
}

/** Same-shape tensors summed left to right in one dispatch. */
function sumWebGpu(terms: tf.Tensor[]): tf.Tensor {
  const names = terms.map((_, i) => `t${i}`);
  return runProgram(
    elementProgram({
      shaderKey: `pcdarts_sum_in_order_${terms.length}`,
      outputShape: terms[0].shape,
      variableNames: names,
      body: `var total = ${names[0]}[index];
        ${
        names.slice(1).map((name) => `total = total + ${name}[index];`).join(
          "\n        ",
        )
      }
        result[index] = total;`,
    }),
    terms,
  );
}
