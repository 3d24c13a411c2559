/**
 * Batch norm's running statistics, a group of batch norms in one webgpu
 * dispatch: each `[2C]` running buffer (means, then variances) is updated in
 * place from its batch statistics, `keep·running + weight·batch` with weight
 * `momentum` for the means and `momentum·correction` for the variances, as
 * `runningAverageWebGpu` computes it for one. A search step runs some 900
 * batch norms a pass; one dispatch each was a twelfth of its dispatches.
 */
import {
  runMultiOutputProgram,
  type ScalarUniform,
  writableInPlace,
} from "./multi_output_program.ts";
import { storageBufferLimit } from "./webgpu_device.ts";
import { elementDispatch } from "./webgpu_programs.ts";
import type { RunningAverageItem } from "../../ops/running_average.ts";

const WORKGROUP = 64;

/** At most this many batch norms a dispatch. */
const MAX_GROUP = 16;

function groupBody(count: number): string {
  const cases = Array.from({ length: count }, (_, k) => {
    const start = k === 0 ? "0" : `uniforms.end${k - 1}`;
    return `${k === 0 ? "" : "else "}if (index < uniforms.end${k}) {
    let i = index - ${start};
    let weight = select(uniforms.momentum, uniforms.varianceWeight${k}, i >= uniforms.channels${k});
    r${k}[i] = uniforms.keep * r${k}[i] + weight * s${k}[i];
  }`;
  });
  return `if (index >= uniforms.end${count - 1}) { return; }
  ${cases.join("\n  ")}`;
}

/**
 * Updates the items that can be written in place, a group per dispatch, and
 * returns those that cannot (for the caller's one-by-one path).
 */
export function runningAveragesWebGpu(
  items: RunningAverageItem[],
  momentum: number,
): RunningAverageItem[] {
  const perGroup = Math.min(MAX_GROUP, Math.floor(storageBufferLimit() / 2));
  const rest = items.filter((item) =>
    !writableInPlace(item.running) || item.batch.dtype !== "float32"
  );
  // In order; a batch norm met twice starts a new group, so that its second
  // update reads its first.
  const groups: RunningAverageItem[][] = [];
  let current: RunningAverageItem[] = [];
  for (const item of items) {
    if (rest.includes(item)) continue;
    if (
      current.length === perGroup ||
      current.some((other) => other.running.dataId === item.running.dataId)
    ) {
      groups.push(current);
      current = [];
    }
    current.push(item);
  }
  if (current.length > 0) groups.push(current);
  for (const group of groups) {
    const uniforms: ScalarUniform[] = [];
    let end = 0;
    group.forEach((item, k) => {
      end += item.running.size;
      uniforms.push(
        { name: `end${k}`, type: "i32", value: end },
        { name: `channels${k}`, type: "i32", value: item.running.size / 2 },
        {
          name: `varianceWeight${k}`,
          type: "f32",
          value: momentum * item.correction,
        },
      );
    });
    runMultiOutputProgram({
      key: `pcdarts_bn_running_averages_${group.length}`,
      writes: group.map((item, k) => ({ name: `r${k}`, tensor: item.running })),
      reads: group.map((item, k) => ({ name: `s${k}`, tensor: item.batch })),
      uniforms: [
        ...uniforms,
        { name: "keep", type: "f32", value: 1 - momentum },
        { name: "momentum", type: "f32", value: momentum },
      ],
      workgroupSize: WORKGROUP,
      workgroups: elementDispatch(end, WORKGROUP),
      body: groupBody(group.length),
    });
  }
  return rest;
}
