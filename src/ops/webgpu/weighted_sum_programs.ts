/**
 * A MixedOp's (or an edge-normalized node's) weighted sum
 * `Σᵢ weights[indices[i]]·termsᵢ` as WGSL programs on the webgpu backend,
 * with the weights read on the GPU (no host round trip):
 *
 * - forward: one dispatch (per group of terms the device can bind), summed
 *   in the terms' order (as the reference's `sum(w * op(x) ...)`, so the
 *   rounding is the same);
 * - the terms' gradients `weights[indices[i]]·dy`: one dispatch writes them
 *   all;
 * - the weights' gradient `Σ dy·termsᵢ`: partial sums by one workgroup per
 *   weight and chunk of elements (see `reductionChunk`), one dispatch per
 *   group of terms, then one adding them up (unless one did it all).
 *
 * The portable version unstacks the weights (a slice each), multiplies each
 * term and adds them up, and differentiates all of that: about 16 dispatches
 * forward and 25 backward for a MixedOp of seven operations, against 2 + 10.
 * A program binds at most `storageBufferLimit()` storage buffers, its output
 * included (32 on the device `webgpu_device.ts` asks for; WebGPU's default is
 * 8): hence the groups.
 */
import * as tf from "../../tf.ts";
import { customOp, gradientNeeds } from "../custom_gradient.ts";
import { runMultiOutputProgram } from "./multi_output_program.ts";
import { storageBufferLimit } from "./webgpu_device.ts";
import {
  chunking,
  elementDispatch,
  elementProgram,
  type Program,
  type ProgramUniform,
  REDUCE_WORKGROUP,
  runProgram,
  sumChunks,
  workgroupSumSnippet,
} from "./webgpu_programs.ts";

/** Storage buffers a program may bind besides its output. */
const maxInputs = () => storageBufferLimit() - 1;

const termNames = (count: number) =>
  Array.from({ length: count }, (_, i) => `term${i}`);

/** `partial + Σ weights[index_i]·term_i` (no partial in the first chunk). */
function sumProgram(shape: number[], terms: number, chained: boolean): Program {
  const products = termNames(terms).map((name, i) =>
    `weights[uniforms.index${i}] * ${name}[index]`
  );
  return elementProgram({
    shaderKey: `pcdarts_weighted_sum_${terms}_${chained}`,
    outputShape: shape,
    variableNames: [
      "weights",
      ...(chained ? ["partial"] : []),
      ...termNames(terms),
    ],
    uniforms: termNames(terms).map((_, i) => `index${i} : i32,`).join(" "),
    body: `result[index] = ${
      [...(chained ? ["partial[index]"] : []), ...products].join(" + ")
    };`,
  });
}

/**
 * Every term's gradient `weights[indices[i]]·dy`, as many as the device can
 * bind a dispatch (two storage buffers go to the weights and `dy`).
 */
function termGradients(
  weights: tf.Tensor,
  dy: tf.Tensor,
  indices: number[],
): tf.Tensor[] {
  const perDispatch = storageBufferLimit() - 2;
  if (perDispatch < 2) {
    return indices.map((index) =>
      runProgram(scaledProgram(dy.shape), [weights, dy], [
        { type: "int32", data: [index] },
      ])
    );
  }
  const grads: tf.Tensor[] = [];
  for (let at = 0; at < indices.length; at += perDispatch) {
    const group = indices.slice(at, at + perDispatch);
    const outputs = runMultiOutputProgram({
      key: `pcdarts_weighted_sum_term_gradients_${group.length}`,
      writes: group.map((_, k) => ({ name: `out${k}`, shape: dy.shape })),
      reads: [{ name: "weights", tensor: weights }, { name: "dy", tensor: dy }],
      uniforms: [
        { name: "size", type: "i32", value: dy.size },
        ...group.map((index, k) => ({
          name: `index${k}`,
          type: "i32" as const,
          value: index,
        })),
      ],
      workgroupSize: REDUCE_WORKGROUP,
      workgroups: elementDispatch(dy.size, REDUCE_WORKGROUP),
      body: `if (index >= uniforms.size) { return; }
  let d = dy[index];
  ${
        group.map((_, k) => `out${k}[index] = weights[uniforms.index${k}] * d;`)
          .join("\n  ")
      }`,
    });
    grads.push(...outputs);
  }
  return grads;
}

/** `weights[uniforms.index0]·dy`. */
function scaledProgram(shape: number[]): Program {
  return elementProgram({
    shaderKey: "pcdarts_weighted_sum_term_gradient",
    outputShape: shape,
    variableNames: ["weights", "dy"],
    uniforms: "index0 : i32,",
    body: `result[index] = weights[uniforms.index0] * dy[index];`,
  });
}

/**
 * Gradient of the weights, partial sums: workgroup `(p, chunk)` sums `dy·term`
 * over chunk `chunk` of the elements (`uniforms.chunk` each) for the term
 * whose weight is `p` (uniform `slot<p>`, −1 for none among these terms) and
 * writes `result[chunk·P + p]`; with one chunk and one group of terms, that is
 * the gradient itself, else `sumChunks` adds them up.
 */
function weightGradientProgram(
  weightCount: number,
  terms: number,
  chunks: number,
): Program {
  const names = termNames(terms);
  const pick = names.map((name, i) =>
    `${i === 0 ? "" : "else "}if (slot == ${i}) { value = ${name}[i]; }`
  ).join("\n            ");
  const slotOf = Array.from(
    { length: weightCount },
    (_, p) => `if (p == ${p}) { return uniforms.slot${p}; }`,
  ).join("\n        ");
  return {
    shaderKey: `pcdarts_weighted_sum_weight_gradient_${weightCount}_${terms}`,
    outputShape: [chunks * weightCount],
    variableNames: ["dy", ...names],
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: [weightCount, chunks, 1],
    dispatchLayout: { x: [0] },
    uniforms: `elements : i32, chunk : i32, ${
      Array.from({ length: weightCount }, (_, p) => `slot${p} : i32,`).join(" ")
    }`,
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn slotOf(p : i32) -> i32 {
        ${slotOf}
        return -1;
      }
      fn main(index : i32) {
        let p = i32(workgroupId.x);
        let piece = i32(workgroupId.y);
        let slot = slotOf(p);
        let first = piece * uniforms.chunk;
        let end = min(first + uniforms.chunk, uniforms.elements);
        var sum = 0.0;
        if (slot >= 0) {
          for (var i = first + i32(localIndex); i < end; i = i + ${REDUCE_WORKGROUP}) {
            var value = 0.0;
            ${pick}
            sum = sum + dy[i] * value;
          }
        }
        let total = workgroupSum(sum);
        if (localIndex == 0u) {
          result[piece * ${weightCount} + p] = total;
        }
      }`,
  };
}

/** Splits `count` items into groups: the first of `first`, the rest of `rest`. */
function groupsOf(count: number, first: number, rest: number): number[][] {
  const out: number[][] = [];
  let start = 0;
  while (start < count) {
    const take = Math.min(count - start, out.length === 0 ? first : rest);
    out.push(Array.from({ length: take }, (_, i) => start + i));
    start += take;
  }
  return out;
}

/**
 * `Σᵢ weights[indices[i]]·terms[i]` and its gradients as webgpu programs (see
 * the module header). Each index names a different weight.
 */
export function weightedSumWebGpu(
  terms: tf.Tensor4D[],
  weights: tf.Tensor1D,
  indices: number[],
): tf.Tensor4D {
  if (new Set(indices).size !== indices.length) {
    throw new Error(
      `weightedSumWebGpu: each term needs its own weight, got indices ${indices}`,
    );
  }
  const shape = terms[0].shape;
  const weightCount = weights.size;
  const indexUniforms = (chunk: number[]): ProgramUniform[] =>
    chunk.map((i) => ({ type: "int32", data: [indices[i]] }));
  // A weight step needs no gradient of the mixing weights: then they are no
  // input of the op (no weight-gradient dispatches, no zero gradient).
  const withWeights = gradientNeeds.mixingWeights;
  const op = customOp((inputs, save) => {
    const w = withWeights ? inputs[inputs.length - 1] : weights;
    const t = inputs.slice(0, terms.length);
    // The terms are read again only for the mixing weights' gradient.
    save(withWeights ? [...t, w] : [w]);
    let partial: tf.Tensor | undefined;
    for (const chunk of groupsOf(t.length, maxInputs() - 1, maxInputs() - 2)) {
      const next = runProgram(
        sumProgram(shape, chunk.length, partial !== undefined),
        [w, ...(partial ? [partial] : []), ...chunk.map((i) => t[i])],
        indexUniforms(chunk),
      );
      partial?.dispose();
      partial = next;
    }
    return {
      value: partial!,
      gradFunc: (dy, saved) => {
        const savedWeights = saved[saved.length - 1];
        const savedTerms = saved.slice(0, -1);
        const grads = termGradients(savedWeights, dy, indices);
        if (!withWeights) return grads;
        // Partial sums per group of six terms (and per chunk of elements
        // above reductionChunk()), then one dispatch adds them up.
        const { chunks, chunk } = chunking(dy.size);
        const partials = groupsOf(
          savedTerms.length,
          maxInputs() - 1,
          maxInputs() - 1,
        ).map(
          (group) => {
            const slots = new Array<number>(weightCount).fill(-1);
            group.forEach((i, slot) => (slots[indices[i]] = slot));
            return runProgram(
              weightGradientProgram(weightCount, group.length, chunks),
              [dy, ...group.map((i) => savedTerms[i])],
              [
                { type: "int32", data: [dy.size] },
                { type: "int32", data: [chunk] },
                ...slots.map((s) => ({ type: "int32" as const, data: [s] })),
              ],
            );
          },
        );
        let weightGradient = partials[0];
        if (partials.length > 1 || chunks > 1) {
          weightGradient = sumChunks(partials, weightCount, chunks);
          tf.dispose(partials);
        }
        return [...grads, weightGradient!];
      },
    };
  });
  return (
    withWeights ? op(...terms, weights) : op(...terms)
  ) as tf.Tensor4D;
}
