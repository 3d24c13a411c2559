/**
 * Concatenation of NHWC tensors along channels on the webgpu backend: one
 * dispatch forward and one backward writing every part's gradient (tfjs'
 * concat takes one dispatch forward, or several past its input limit, and its
 * gradient one slice per part). A search cell concatenates its four nodes.
 */
import * as tf from "../../tf.ts";
import { customOp } from "../../ops/custom_gradient.ts";
import { runMultiOutputProgram } from "./multi_output_program.ts";
import { storageBufferLimit } from "./webgpu_device.ts";
import { elementDispatch } from "./webgpu_programs.ts";

const WORKGROUP = 64;

/** Whether one dispatch binds these parts (and the output) each way. */
export function concatFits(parts: number): boolean {
  return parts + 1 <= storageBufferLimit();
}

/**
 * `concat(parts, 3)` (same batch and spatial shape), with the gradient; call
 * on webgpu when {@linkcode concatFits}.
 */
export function concatChannelsWebGpu(parts: tf.Tensor4D[]): tf.Tensor4D {
  const [n, h, w] = parts[0].shape;
  const widths = parts.map((p) => p.shape[3]);
  const total = widths.reduce((a, b) => a + b, 0);
  const pixels = n * h * w;
  const size = pixels * total;
  const uniforms = [
    { name: "size", type: "i32" as const, value: size },
    { name: "channels", type: "i32" as const, value: total },
    ...widths.map((width, i) => ({
      name: `width${i}`,
      type: "i32" as const,
      value: width,
    })),
  ];
  const header = `if (index >= uniforms.size) { return; }
  let c = index % uniforms.channels;
  let pixel = index / uniforms.channels;
  var start = 0;`;
  const body = (assign: (i: number) => string) =>
    `${header}
  ${
      widths.map((_, i) =>
        `if (c >= start && c < start + uniforms.width${i}) {
    let at = pixel * uniforms.width${i} + c - start;
    ${assign(i)}
  }
  start = start + uniforms.width${i};`
      ).join("\n  ")
    }`;
  const op = customOp((inputs) => {
    const [value] = runMultiOutputProgram({
      key: `pcdarts_concat_channels_${parts.length}`,
      writes: [{ name: "result", shape: [n, h, w, total] }],
      reads: inputs.map((t, i) => ({ name: `part${i}`, tensor: t })),
      uniforms,
      workgroupSize: WORKGROUP,
      workgroups: elementDispatch(size, WORKGROUP),
      body: body((i) => `result[index] = part${i}[at];`),
    });
    return {
      value,
      gradFunc: (dy) =>
        runMultiOutputProgram({
          key: `pcdarts_concat_channels_gradient_${parts.length}`,
          writes: parts.map((p, i) => ({ name: `grad${i}`, shape: p.shape })),
          reads: [{ name: "dy", tensor: dy }],
          uniforms,
          workgroupSize: WORKGROUP,
          workgroups: elementDispatch(size, WORKGROUP),
          body: body((i) => `grad${i}[at] = dy[index];`),
        }),
    };
  });
  return op(...parts) as tf.Tensor4D;
}
