/**
 * `Σ ‖t‖²` over many small tensors (a network's gradients, for clipping) as a
 * chain of WGSL dispatches on the webgpu backend: one workgroup sums the
 * squares of as many tensors as the device lets a program bind (30 on the
 * device `webgpu_device.ts` asks for, 6 at WebGPU's default) and the previous
 * link's total. A search network's ~900 gradients took two tfjs kernels each
 * (square, sum) plus the joining; here about 30 dispatches. The tensors are small (the largest
 * search-network weight has a few thousand elements), so one workgroup each is
 * enough.
 */
import type * as tf from "../../tf.ts";
import {
  type Program,
  REDUCE_WORKGROUP,
  runProgram,
  workgroupSumSnippet,
} from "./webgpu_programs.ts";
import { storageBufferLimit } from "./webgpu_device.ts";

/** Tensors per link besides the previous total and the output. */
const perLink = () => storageBufferLimit() - 2;

function linkProgram(tensors: number, chained: boolean): Program {
  const names = Array.from({ length: tensors }, (_, i) => `t${i}`);
  const loops = names.map((name, i) => `
        for (var i = lane; i < uniforms.size${i}; i = i + ${REDUCE_WORKGROUP}) {
          let v = ${name}[i];
          sum = sum + v * v;
        }`).join("");
  return {
    shaderKey: `pcdarts_squared_norm_${tensors}_${chained}`,
    outputShape: [1],
    variableNames: [...(chained ? ["previous"] : []), ...names],
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: [1, 1, 1],
    dispatchLayout: { x: [0] },
    uniforms: names.map((_, i) => `size${i} : i32,`).join(" "),
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn main(index : i32) {
        let lane = i32(localIndex);
        var sum = 0.0;${loops}
        let total = workgroupSum(sum);
        if (lane == 0) {
          result[0] = ${chained ? "previous[0] + total" : "total"};
        }
      }`,
  };
}

/** `Σ ‖t‖²` over `tensors` (at least one) as a `[1]` tensor. */
export function squaredNormWebGpu(tensors: tf.Tensor[]): tf.Tensor {
  let total: tf.Tensor | undefined;
  const count = perLink();
  for (let start = 0; start < tensors.length; start += count) {
    const link = tensors.slice(start, start + count);
    const next = runProgram(
      linkProgram(link.length, total !== undefined),
      [...(total ? [total] : []), ...link],
      link.map((t) => ({ type: "int32" as const, data: [t.size] })),
    );
    total?.dispose();
    total = next;
  }
  return total!;
}
