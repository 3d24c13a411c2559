/**
 * Average pooling with padding excluded from the count (PyTorch's
 * `count_include_pad=False`) as WGSL programs on the webgpu backend: one
 * dispatch each way, the in-bounds count computed per window. The portable
 * version pads, pools, multiplies by an uploaded correction tensor, and its
 * gradient runs the same chain backwards (tfjs' AvgPoolGrad and a slice).
 */
import type * as tf from "../../tf.ts";
import { customOp } from "../../ops/custom_gradient.ts";
import {
  nhwcElementProgram,
  type Program,
  type ProgramUniform,
  runProgram,
} from "./webgpu_programs.ts";

const POOL_UNIFORMS = "kernel : i32, stride : i32, padding : i32,";

/** WGSL: the in-bounds span of a window starting at `start` over `size`. */
const SPAN =
  `fn span(start : i32, size : i32) -> i32 { return min(start + uniforms.kernel, size) - max(start, 0); }`;

function poolProgram(
  key: string,
  outputShape: number[],
  variable: string,
  body: string,
): Program {
  return nhwcElementProgram({
    shaderKey: `pcdarts_average_pool_${key}`,
    outputShape,
    variableNames: [variable],
    uniforms: POOL_UNIFORMS,
    prelude: SPAN,
    body,
  });
}

/** Forward: input `x`; output `[n, outH, outW, c]`. */
function forwardProgram(outputShape: number[]): Program {
  return poolProgram(
    "forward",
    outputShape,
    "x",
    `
          let inH = uniforms.xShape.y;
          let inW = uniforms.xShape.z;
          let top = i * uniforms.stride - uniforms.padding;
          let left = j * uniforms.stride - uniforms.padding;
          var sum = 0.0;
          for (var row = max(top, 0); row < min(top + uniforms.kernel, inH); row = row + 1) {
            for (var column = max(left, 0); column < min(left + uniforms.kernel, inW); column = column + 1) {
              sum = sum + x[((n * inH + row) * inW + column) * channels + c];
            }
          }
          result[index] = sum / f32(span(top, inH) * span(left, inW));`,
  );
}

/** Input gradient: input `dy`; output the input's shape. */
function gradientProgram(inputShape: number[]): Program {
  return poolProgram(
    "gradient",
    inputShape,
    "dy",
    `
          let inH = uniforms.outShape.y;
          let inW = uniforms.outShape.z;
          let outH = uniforms.dyShape.y;
          let outW = uniforms.dyShape.z;
          var sum = 0.0;
          for (var u = 0; u < uniforms.kernel; u = u + 1) {
            let rowReach = i + uniforms.padding - u;
            if (rowReach < 0 || rowReach % uniforms.stride != 0) { continue; }
            let outRow = rowReach / uniforms.stride;
            if (outRow >= outH) { continue; }
            let rows = span(outRow * uniforms.stride - uniforms.padding, inH);
            for (var v = 0; v < uniforms.kernel; v = v + 1) {
              let columnReach = j + uniforms.padding - v;
              if (columnReach < 0 || columnReach % uniforms.stride != 0) { continue; }
              let outColumn = columnReach / uniforms.stride;
              if (outColumn >= outW) { continue; }
              let columns = span(outColumn * uniforms.stride - uniforms.padding, inW);
              sum = sum + dy[((n * outH + outRow) * outW + outColumn) * channels + c] / f32(rows * columns);
            }
          }
          result[index] = sum;`,
  );
}

/**
 * Average pooling without the padding in the count, with its gradient, as
 * webgpu programs; `outputSpatial` is the output's `[height, width]`.
 */
export function averagePoolWebGpu(
  x: tf.Tensor4D,
  kernel: number,
  stride: number,
  padding: number,
  outputSpatial: [number, number],
): tf.Tensor4D {
  const uniforms: ProgramUniform[] = [
    { type: "int32", data: [kernel] },
    { type: "int32", data: [stride] },
    { type: "int32", data: [padding] },
  ];
  const op = customOp(([input]) => {
    const [n, , , c] = input.shape;
    return {
      value: runProgram(
        forwardProgram([n, ...outputSpatial, c]),
        [input],
        uniforms,
      ),
      gradFunc: (dy) => [
        runProgram(gradientProgram(input.shape), [dy], uniforms),
      ],
    };
  });
  return op(x) as tf.Tensor4D;
}
