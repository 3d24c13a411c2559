/**
 * A partial-channel MixedOp's output in one dispatch each way on the webgpu
 * backend: the weighted sum of its operations' outputs written straight into
 * the channel-shuffled output beside the bypassed channels, and backward the
 * terms' gradients, the bypass source's gradient and (for an architecture
 * step) the mixing weights' gradient from one dispatch: elementwise work in
 * one range of workgroups, one workgroup per weight in the next.
 *
 * The arithmetic is that of `weighted_sum_programs.ts` (the sum in the terms'
 * order; each term's gradient `weights[index]·dy`; each weight's `Σ dy·term`
 * by one workgroup) and `shuffle_programs.ts`, so the values are the same
 * bits; those took two dispatches forward and two or three backward. Used
 * where the device binds them all and, when the weights' gradient is wanted,
 * its sums fit one level.
 */
import * as tf from "../../tf.ts";
import { customOp, gradientNeeds } from "../../ops/custom_gradient.ts";
import {
  runMultiOutputProgram,
  type ScalarUniform,
} from "./multi_output_program.ts";
import { storageBufferLimit } from "./webgpu_device.ts";
import {
  chunking,
  elementDispatch,
  REDUCE_WORKGROUP,
  workgroupSumSnippet,
} from "./webgpu_programs.ts";

/** Whether one dispatch each way takes this MixedOp. */
export function weightedShuffleFits(
  terms: number,
  processedSize: number,
): boolean {
  // Backward binds every term, its gradient, dy, the weights, the source's
  // gradient and the weights' gradient.
  // The weights' gradient (an architecture step's) is summed in one level.
  return 2 * terms + 4 <= storageBufferLimit() &&
    (!gradientNeeds.mixingWeights || chunking(processedSize).chunks === 1);
}

/**
 * `channelShuffle(concat([Σᵢ weights[indices[i]]·terms[i], bypassed]), k)`
 * where `bypassed` is channels `offset … offset + (k−1)·part` of `source`.
 * Call on webgpu when {@linkcode weightedShuffleFits}.
 */
export function weightedShuffleWebGpu(
  terms: tf.Tensor4D[],
  weights: tf.Tensor1D,
  indices: number[],
  source: tf.Tensor4D,
  offset: number,
  k: number,
): tf.Tensor4D {
  const [n, h, w, part] = terms[0].shape;
  const sourceChannels = source.shape[3];
  const pixels = n * h * w;
  const count = terms.length;
  const weightCount = weights.size;
  const names = terms.map((_, i) => `term${i}`);
  const shapeUniforms: ScalarUniform[] = [
    { name: "part", type: "i32", value: part },
    { name: "sourceChannels", type: "i32", value: sourceChannels },
    { name: "groups", type: "i32", value: k },
    { name: "offset", type: "i32", value: offset },
    ...indices.map((index, i) => ({
      name: `index${i}`,
      type: "i32" as const,
      value: index,
    })),
  ];
  const withWeights = gradientNeeds.mixingWeights;
  const outSize = pixels * part * k;
  const op = customOp((inputs, save) => {
    const t = inputs.slice(0, count);
    const src = inputs[count];
    const mixing = withWeights ? inputs[count + 1] : weights;
    // The terms are read again only for the mixing weights' gradient.
    save(withWeights ? [...t, mixing] : [mixing]);
    const sum = names.map((name, i) =>
      `weights[uniforms.index${i}] * ${name}[pixel * uniforms.part + j]`
    ).join(" + ");
    const [value] = runMultiOutputProgram({
      key: `pcdarts_weighted_shuffle_${count}`,
      writes: [{ name: "result", shape: [n, h, w, part * k] }],
      reads: [
        { name: "weights", tensor: mixing },
        { name: "source", tensor: src },
        ...t.map((term, i) => ({ name: names[i], tensor: term })),
      ],
      uniforms: [
        { name: "size", type: "i32", value: outSize },
        ...shapeUniforms,
      ],
      workgroupSize: REDUCE_WORKGROUP,
      workgroups: elementDispatch(outSize, REDUCE_WORKGROUP),
      body: `if (index >= uniforms.size) { return; }
  let channels = uniforms.part * uniforms.groups;
  let c = index % channels;
  let pixel = index / channels;
  let g = c % uniforms.groups;
  let j = c / uniforms.groups;
  if (g == 0) {
    result[index] = ${sum};
  } else {
    result[index] = source[pixel * uniforms.sourceChannels + uniforms.offset + (g - 1) * uniforms.part + j];
  }`,
    });
    return {
      value,
      gradFunc: (dy, saved) => {
        const savedTerms = withWeights ? saved.slice(0, count) : [];
        const savedWeights = saved[saved.length - 1];
        const sourceSize = source.size;
        const elementGroups = Math.ceil(sourceSize / REDUCE_WORKGROUP);
        const pick = names.map((name, i) =>
          `${i === 0 ? "" : "else "}if (term == ${i}) { value = ${name}[e]; }`
        ).join("\n        ");
        // The weights of no term get zero (they may be a whole cell's).
        const unused = names.map((_, i) => `p != uniforms.index${i}`).join(
          " && ",
        );
        const workgroups = elementGroups + (withWeights ? count : 0);
        const wide = Math.ceil(workgroups / 65535);
        const outputs = runMultiOutputProgram({
          key: `pcdarts_weighted_shuffle_gradients_${count}_${withWeights}`,
          writes: [
            ...names.map((name) => ({
              name: `d${name}`,
              shape: [n, h, w, part],
            })),
            { name: "dSource", shape: source.shape },
            ...(withWeights
              ? [{ name: "dWeights", shape: [weightCount] }]
              : []),
          ],
          reads: [
            { name: "dy", tensor: dy },
            { name: "weights", tensor: savedWeights },
            ...savedTerms.map((term, i) => ({ name: names[i], tensor: term })),
          ],
          uniforms: [
            { name: "sourceSize", type: "i32", value: sourceSize },
            { name: "elementGroups", type: "i32", value: elementGroups },
            { name: "elements", type: "i32", value: pixels * part },
            { name: "weightCount", type: "i32", value: weightCount },
            ...shapeUniforms,
          ],
          workgroupSize: REDUCE_WORKGROUP,
          workgroups: [Math.ceil(workgroups / wide), wide, 1],
          prelude: workgroupSumSnippet(),
          body: `
  let dyChannels = uniforms.part * uniforms.groups;
  if (workgroup < uniforms.elementGroups) {
    let at = workgroup * ${REDUCE_WORKGROUP} + local;
    if (at < uniforms.sourceSize) {
      let c = at % uniforms.sourceChannels;
      let pixel = at / uniforms.sourceChannels;
      if (c < uniforms.part) {
        let d = dy[pixel * dyChannels + c * uniforms.groups];
        let e = pixel * uniforms.part + c;
        ${
            names.map((name, i) =>
              `d${name}[e] = weights[uniforms.index${i}] * d;`
            ).join("\n        ")
          }
      }
      let q = c - uniforms.offset;
      if (q < 0 || q >= (uniforms.groups - 1) * uniforms.part) {
        dSource[at] = 0.0;
      } else {
        let g = q / uniforms.part + 1;
        let j = q - (g - 1) * uniforms.part;
        dSource[at] = dy[pixel * dyChannels + j * uniforms.groups + g];
      }
    }${
            withWeights
              ? `
    for (var p = at; p < uniforms.weightCount; p = p + uniforms.elementGroups * ${REDUCE_WORKGROUP}) {
      if (${unused}) { dWeights[p] = 0.0; }
    }`
              : ""
          }
  }${
            withWeights
              ? ` else if (workgroup < uniforms.elementGroups + ${count}) {
    // One term's weight: Σ dy·term.
    let term = workgroup - uniforms.elementGroups;
    var sum = 0.0;
    for (var e = local; e < uniforms.elements; e = e + ${REDUCE_WORKGROUP}) {
      var value = 0.0;
      ${pick}
      let pixel = e / uniforms.part;
      let c = e - pixel * uniforms.part;
      sum = sum + dy[pixel * dyChannels + c * uniforms.groups] * value;
    }
    let total = workgroupSum(sum);
    if (local == 0) {
      ${
                names.map((_, i) =>
                  `${
                    i === 0 ? "" : "else "
                  }if (term == ${i}) { dWeights[uniforms.index${i}] = total; }`
                ).join("\n      ")
              }
    }
  }`
              : ""
          }`,
        });
        return outputs;
      },
    };
  });
  return (
    withWeights ? op(...terms, source, weights) : op(...terms, source)
  ) as tf.Tensor4D;
}
