/**
 * SGD with momentum for a group of variables in one webgpu dispatch: each
 * variable and its momentum buffer are updated in place (three storage
 * buffers a variable: weight, buffer, gradient), the group's elements laid end
 * to end over the invocations. Per element, as PyTorch and in its order:
 * `b = g + wd·w + m·b_prev` (no `b_prev` term at the first step or without
 * momentum, and then `b` is a fresh tensor), `w = w + (−lr)·b`.
 *
 * A search network has about 1,400 weight tensors; two dispatches each (the
 * buffer, then the weight) were the largest family of a step's dispatches.
 */
import type * as tf from "../../tf.ts";
import type { SgdItem, SgdSettings } from "../../ops/sgd_update.ts";
import {
  runMultiOutputProgram,
  type ScalarUniform,
  writableInPlace,
  type Written,
} from "./multi_output_program.ts";
import { storageBufferLimit } from "./webgpu_device.ts";
import { elementDispatch } from "./webgpu_programs.ts";

const WORKGROUP = 64;

/** At most this many variables a dispatch (uniform fields stay few). */
const MAX_GROUP = 16;

function groupBody(count: number, withPrevious: boolean): string {
  const cases = Array.from({ length: count }, (_, k) => {
    const start = k === 0 ? "0" : `uniforms.end${k - 1}`;
    const previous = withPrevious ? ` + uniforms.momentum * b${k}[i]` : "";
    return `${k === 0 ? "" : "else "}if (index < uniforms.end${k}) {
    let i = index - ${start};
    let b = g${k}[i] + uniforms.weightDecay * w${k}[i]${previous};
    b${k}[i] = b;
    w${k}[i] = w${k}[i] + uniforms.negativeLr * b;
  }`;
  });
  return `if (index >= uniforms.end${count - 1}) { return; }
  ${cases.join("\n  ")}`;
}

function runGroup(
  group: SgdItem[],
  withPrevious: boolean,
  { lr, momentum, weightDecay }: SgdSettings,
): tf.Tensor[] {
  const writes: Written[] = [];
  group.forEach((item, k) => {
    writes.push({ name: `w${k}`, tensor: item.variable });
    writes.push(
      withPrevious
        ? { name: `b${k}`, tensor: item.previous! }
        : { name: `b${k}`, shape: item.variable.shape },
    );
  });
  const ends: ScalarUniform[] = [];
  let end = 0;
  group.forEach((item, k) => {
    end += item.variable.size;
    ends.push({ name: `end${k}`, type: "i32", value: end });
  });
  const fresh = runMultiOutputProgram({
    key: `pcdarts_sgd_${group.length}_${withPrevious}`,
    writes,
    reads: group.map((item, k) => ({ name: `g${k}`, tensor: item.gradient })),
    uniforms: [
      ...ends,
      { name: "weightDecay", type: "f32", value: weightDecay },
      { name: "momentum", type: "f32", value: momentum },
      { name: "negativeLr", type: "f32", value: -lr },
    ],
    workgroupSize: WORKGROUP,
    workgroups: elementDispatch(end, WORKGROUP),
    body: groupBody(group.length, withPrevious),
  });
  return withPrevious ? group.map((item) => item.previous!) : fresh;
}

/**
 * The webgpu side of `sgdUpdates`: variables that can be written in place go
 * in groups, one dispatch each; the others through `single`.
 */
export function sgdUpdatesWebGpu(
  items: SgdItem[],
  settings: SgdSettings,
  single: (item: SgdItem) => tf.Tensor,
): tf.Tensor[] {
  const perGroup = Math.min(
    MAX_GROUP,
    Math.floor(storageBufferLimit() / 3),
  );
  const result = new Array<tf.Tensor>(items.length);
  const pending = { true: [] as number[], false: [] as number[] };
  items.forEach((item, i) => {
    const withPrevious = item.previous !== undefined && settings.momentum !== 0;
    const inPlace = writableInPlace(item.variable) &&
      (!withPrevious || writableInPlace(item.previous!)) &&
      item.gradient.dtype === "float32" &&
      item.gradient.dataId !== item.variable.dataId;
    if (!inPlace) {
      result[i] = single(item);
      return;
    }
    pending[`${withPrevious}`].push(i);
  });
  for (const withPrevious of [true, false]) {
    const indices = pending[`${withPrevious}`];
    for (let at = 0; at < indices.length; at += perGroup) {
      const chunk = indices.slice(at, at + perGroup);
      const buffers = runGroup(
        chunk.map((i) => items[i]),
        withPrevious,
        settings,
      );
      chunk.forEach((i, k) => (result[i] = buffers[k]));
    }
  }
  return result;
}
