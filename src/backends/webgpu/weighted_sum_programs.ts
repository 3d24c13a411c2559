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
import { customOp, gradientNeeds } from "../../ops/custom_gradient.ts";
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

/**
 * The mixing weights' gradient `Σ dy·termᵢ` at `weights[indices[i]]`, zero
 * elsewhere (`weights` may be a whole cell's rows). One workgroup per term
 * sums its elements; above `reductionChunk()` elements one per term and chunk
 * writes partial sums and a second dispatch adds them (in `sumChunks`' order).
 */
function weightGradientOf(
  dy: tf.Tensor,
  terms: tf.Tensor[],
  indices: number[],
  weightCount: number,
): tf.Tensor {
  const count = terms.length;
  const names = termNames(count);
  const { chunks, chunk } = chunking(dy.size);
  const pick = (target: string) =>
    names.map((name, i) =>
      `${i === 0 ? "" : "else "}if (term == ${i}) { ${
        target.replace("TERM", name)
      } }`
    ).join("\n    ");
  /** `sum`: Σ dy·term over elements `first … end` (the term chosen by `term`). */
  const termSum = (first: string, end: string) =>
    `var sum = 0.0;
  for (var e = ${first} + local; e < ${end}; e = e + ${REDUCE_WORKGROUP}) {
    var value = 0.0;
    ${pick("value = TERM[e];")}
    sum = sum + dy[e] * value;
  }`;
  const place = names.map((_, i) =>
    `${
      i === 0 ? "" : "else "
    }if (term == ${i}) { gradient[uniforms.index${i}] = total; }`
  ).join("\n      ");
  const unused = names.map((_, i) => `p != uniforms.index${i}`).join(" && ");
  const indexUniforms = indices.map((index, i) => ({
    name: `index${i}`,
    type: "i32" as const,
    value: index,
  }));
  // The weights of no term get zero (workgroup 0 writes them).
  const zeros = `if (workgroup == 0) {
    for (var p = local; p < uniforms.weightCount; p = p + ${REDUCE_WORKGROUP}) {
      if (${unused}) { gradient[p] = 0.0; }
    }
  }`;
  if (chunks === 1) {
    return runMultiOutputProgram({
      key: `pcdarts_weighted_sum_weight_gradient_${count}`,
      writes: [{ name: "gradient", shape: [weightCount] }],
      reads: [
        { name: "dy", tensor: dy },
        ...terms.map((t, i) => ({ name: names[i], tensor: t })),
      ],
      uniforms: [
        { name: "elements", type: "i32", value: dy.size },
        { name: "weightCount", type: "i32", value: weightCount },
        ...indexUniforms,
      ],
      workgroupSize: REDUCE_WORKGROUP,
      workgroups: [count, 1, 1],
      prelude: workgroupSumSnippet(),
      body: `let term = workgroup;
  ${zeros}
  ${termSum("0", "uniforms.elements")}
  let total = workgroupSum(sum);
  if (local == 0) {
    ${place}
  }`,
    })[0];
  }
  const [partials] = runMultiOutputProgram({
    key: `pcdarts_weighted_sum_weight_partials_${count}`,
    writes: [{ name: "partials", shape: [chunks * count] }],
    reads: [
      { name: "dy", tensor: dy },
      ...terms.map((t, i) => ({ name: names[i], tensor: t })),
    ],
    uniforms: [
      { name: "elements", type: "i32", value: dy.size },
      { name: "chunk", type: "i32", value: chunk },
    ],
    workgroupSize: REDUCE_WORKGROUP,
    workgroups: [count, chunks, 1],
    prelude: workgroupSumSnippet(),
    body: `let term = i32(workgroupId.x);
  let piece = i32(workgroupId.y);
  let first = piece * uniforms.chunk;
  let end = min(first + uniforms.chunk, uniforms.elements);
  ${termSum("first", "end")}
  let total = workgroupSum(sum);
  if (local == 0) {
    partials[piece * ${count} + term] = total;
  }`,
  });
  const [gradient] = runMultiOutputProgram({
    key: `pcdarts_weighted_sum_weight_finish_${count}`,
    writes: [{ name: "gradient", shape: [weightCount] }],
    reads: [{ name: "partials", tensor: partials }],
    uniforms: [
      { name: "chunks", type: "i32", value: chunks },
      { name: "weightCount", type: "i32", value: weightCount },
      ...indexUniforms,
    ],
    workgroupSize: REDUCE_WORKGROUP,
    workgroups: [count, 1, 1],
    prelude: workgroupSumSnippet(),
    body: `let term = workgroup;
  ${zeros}
  var sum = 0.0;
  for (var piece = local; piece < uniforms.chunks; piece = piece + ${REDUCE_WORKGROUP}) {
    sum = sum + partials[piece * ${count} + term];
  }
  let total = workgroupSum(sum);
  if (local == 0) {
    ${place}
  }`,
  });
  partials.dispose();
  return gradient;
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
        if (savedTerms.length + 2 > storageBufferLimit()) {
          throw new Error(
            `weightedSumWebGpu: ${savedTerms.length} terms are more than one dispatch binds`,
          );
        }
        const weightGradient = weightGradientOf(
          dy,
          savedTerms,
          indices,
          weightCount,
        );
        return [...grads, weightGradient];
      },
    };
  });
  return (
    withWeights ? op(...terms, weights) : op(...terms)
  ) as tf.Tensor4D;
}
