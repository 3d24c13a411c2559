/**
 * Every second row and column from `offset` (`x[:, o::2, o::2, :]`, the
 * factorized reduction's input) on the webgpu backend: one gather dispatch
 * forward, one backward writing the input's gradient (zero between the
 * picked pixels). The portable version pads, slices and reshapes, and
 * differentiates each: four to eight dispatches.
 */
import type * as tf from "../../tf.ts";
import { customOp } from "../../ops/custom_gradient.ts";
import { runMultiOutputProgram } from "./multi_output_program.ts";
import { elementDispatch } from "./webgpu_programs.ts";

const WORKGROUP = 64;

/** `x[:, offset::2, offset::2, :]` with its gradient (call on webgpu). */
export function subsample2WebGpu(
  x: tf.Tensor4D,
  offset: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const outH = Math.ceil((h - offset) / 2);
  const outW = Math.ceil((w - offset) / 2);
  const uniforms = [
    { name: "h", type: "i32" as const, value: h },
    { name: "w", type: "i32" as const, value: w },
    { name: "outH", type: "i32" as const, value: outH },
    { name: "outW", type: "i32" as const, value: outW },
    { name: "channels", type: "i32" as const, value: c },
    { name: "offset", type: "i32" as const, value: offset },
  ];
  const outSize = n * outH * outW * c;
  const op = customOp(([input]) => {
    const [value] = runMultiOutputProgram({
      key: "pcdarts_subsample2",
      writes: [{ name: "result", shape: [n, outH, outW, c] }],
      reads: [{ name: "x", tensor: input }],
      uniforms: [...uniforms, { name: "size", type: "i32", value: outSize }],
      workgroupSize: WORKGROUP,
      workgroups: elementDispatch(outSize, WORKGROUP),
      body: `if (index >= uniforms.size) { return; }
  let channel = index % uniforms.channels;
  let j = (index / uniforms.channels) % uniforms.outW;
  let i = (index / (uniforms.channels * uniforms.outW)) % uniforms.outH;
  let b = index / (uniforms.channels * uniforms.outW * uniforms.outH);
  let row = 2 * i + uniforms.offset;
  let column = 2 * j + uniforms.offset;
  result[index] = x[((b * uniforms.h + row) * uniforms.w + column) * uniforms.channels + channel];`,
    });
    return {
      value,
      gradFunc: (dy) =>
        runMultiOutputProgram({
          key: "pcdarts_subsample2_gradient",
          writes: [{ name: "dx", shape: [n, h, w, c] }],
          reads: [{ name: "dy", tensor: dy }],
          uniforms: [...uniforms, { name: "size", type: "i32", value: x.size }],
          workgroupSize: WORKGROUP,
          workgroups: elementDispatch(x.size, WORKGROUP),
          body: `if (index >= uniforms.size) { return; }
  let channel = index % uniforms.channels;
  let column = (index / uniforms.channels) % uniforms.w;
  let row = (index / (uniforms.channels * uniforms.w)) % uniforms.h;
  let b = index / (uniforms.channels * uniforms.w * uniforms.h);
  let r = row - uniforms.offset;
  let q = column - uniforms.offset;
  if (r < 0 || q < 0 || r % 2 != 0 || q % 2 != 0) {
    dx[index] = 0.0;
    return;
  }
  dx[index] = dy[((b * uniforms.outH + r / 2) * uniforms.outW + q / 2) * uniforms.channels + channel];`,
        }),
    };
  });
  return op(x) as tf.Tensor4D;
}
