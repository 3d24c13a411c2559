/**
 * Depthwise 2-D convolution (NHWC, filter `[kh, kw, C, 1]`) with the padding,
 * stride and dilation inside WGSL programs on the webgpu backend, one dispatch
 * each for the convolution, its input gradient and its filter gradient. The
 * portable path pads the input, zero-inserts and pads the upstream gradient,
 * flips the filter, and folds the batch into channels with two transposes for
 * the filter gradient: about a dozen dispatches and as many full-size copies.
 *
 * - forward: `y[n,i,j,c] = Σ x[n, i·s − p + u·d, j·s − p + v·d, c]·w[u,v,c]`,
 *   one invocation per output element;
 * - input gradient: each input element sums the outputs whose windows hold it
 *   (`i·s − p + u·d` equal to its row, likewise its column);
 * - filter gradient: one workgroup per filter tap sums over the batch and the
 *   output pixels.
 */
import * as tf from "../../tf.ts";
import { customOp, gradientNeeds } from "../custom_gradient.ts";
import {
  elementDispatch,
  type Program,
  type ProgramUniform,
  REDUCE_WORKGROUP,
  runProgram,
  workgroupSumSnippet,
} from "./webgpu_programs.ts";

/** Padding, stride and dilation of a depthwise convolution. */
export interface DepthwiseGeometry {
  stride: number;
  padding: number;
  dilation: number;
}

const GEOMETRY_UNIFORMS = "stride : i32, padding : i32, dilation : i32,";

function geometryUniforms(g: DepthwiseGeometry): ProgramUniform[] {
  return [
    { type: "int32", data: [g.stride] },
    { type: "int32", data: [g.padding] },
    { type: "int32", data: [g.dilation] },
  ];
}

function elementProgram(
  key: string,
  outputShape: number[],
  variableNames: string[],
  body: string,
): Program {
  const size = outputShape.reduce((a, b) => a * b, 1);
  return {
    shaderKey: `pcdarts_depthwise_${key}`,
    outputShape,
    variableNames,
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: elementDispatch(size, REDUCE_WORKGROUP),
    dispatchLayout: { x: [0, 1, 2, 3] },
    size: true,
    uniforms: GEOMETRY_UNIFORMS,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let channels = uniforms.outShape.w;
          let c = index % channels;
          let j = (index / channels) % uniforms.outShape.z;
          let i = (index / (channels * uniforms.outShape.z)) % uniforms.outShape.y;
          let n = index / (channels * uniforms.outShape.z * uniforms.outShape.y);
          ${body}
        }
      }`,
  };
}

/** Forward: inputs `x`, `w`; output `[n, outH, outW, c]`. */
function forwardProgram(outputShape: number[]): Program {
  return elementProgram(
    "forward",
    outputShape,
    ["x", "w"],
    `
          let inH = uniforms.xShape.y;
          let inW = uniforms.xShape.z;
          let kh = uniforms.wShape.x;
          let kw = uniforms.wShape.y;
          let base = n * inH * inW * channels + c;
          var sum = 0.0;
          for (var u = 0; u < kh; u = u + 1) {
            let row = i * uniforms.stride - uniforms.padding + u * uniforms.dilation;
            if (row < 0 || row >= inH) { continue; }
            for (var v = 0; v < kw; v = v + 1) {
              let column = j * uniforms.stride - uniforms.padding + v * uniforms.dilation;
              if (column < 0 || column >= inW) { continue; }
              sum = sum + x[base + (row * inW + column) * channels] * w[(u * kw + v) * channels + c];
            }
          }
          result[index] = sum;`,
  );
}

/** Input gradient: inputs `dy`, `w`; output the input's shape. */
function inputGradientProgram(inputShape: number[]): Program {
  return elementProgram(
    "input_gradient",
    inputShape,
    ["dy", "w"],
    `
          let outH = uniforms.dyShape.y;
          let outW = uniforms.dyShape.z;
          let kh = uniforms.wShape.x;
          let kw = uniforms.wShape.y;
          let base = n * outH * outW * channels + c;
          var sum = 0.0;
          for (var u = 0; u < kh; u = u + 1) {
            let rowReach = i + uniforms.padding - u * uniforms.dilation;
            if (rowReach < 0 || rowReach % uniforms.stride != 0) { continue; }
            let outRow = rowReach / uniforms.stride;
            if (outRow >= outH) { continue; }
            for (var v = 0; v < kw; v = v + 1) {
              let columnReach = j + uniforms.padding - v * uniforms.dilation;
              if (columnReach < 0 || columnReach % uniforms.stride != 0) { continue; }
              let outColumn = columnReach / uniforms.stride;
              if (outColumn >= outW) { continue; }
              sum = sum + dy[base + (outRow * outW + outColumn) * channels] * w[(u * kw + v) * channels + c];
            }
          }
          result[index] = sum;`,
  );
}

/** Filter gradient: inputs `x`, `dy`; one workgroup per tap of `[kh, kw, c, 1]`. */
function filterGradientProgram(filterShape: number[]): Program {
  const taps = filterShape.reduce((a, b) => a * b, 1);
  return {
    shaderKey: "pcdarts_depthwise_filter_gradient",
    outputShape: filterShape,
    variableNames: ["x", "dy"],
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: elementDispatch(taps, 1),
    dispatchLayout: { x: [0, 1, 2, 3] },
    uniforms: GEOMETRY_UNIFORMS,
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn main(index : i32) {
        let tap = i32(workgroupId.y * numWorkgroups.x + workgroupId.x);
        let channels = uniforms.outShape.z;
        let kw = uniforms.outShape.y;
        let taps = uniforms.outShape.x * kw * channels;
        let c = tap % channels;
        let v = (tap / channels) % kw;
        let u = tap / (channels * kw);
        let inH = uniforms.xShape.y;
        let inW = uniforms.xShape.z;
        let outH = uniforms.dyShape.y;
        let outW = uniforms.dyShape.z;
        let rows = uniforms.dyShape.x * outH;
        // Lanes side by side take neighbouring output columns (their reads
        // are adjacent); the workgroup's row groups stride over batch × rows.
        let lanesPerRow = min(outW, ${REDUCE_WORKGROUP});
        let rowGroups = ${REDUCE_WORKGROUP} / lanesPerRow;
        let lane = i32(localIndex);
        let group = lane / lanesPerRow;
        let firstColumn = lane % lanesPerRow;
        var sum = 0.0;
        if (tap < taps && group < rowGroups) {
          for (var r = group; r < rows; r = r + rowGroups) {
            let n = r / outH;
            let row = (r - n * outH) * uniforms.stride - uniforms.padding + u * uniforms.dilation;
            if (row < 0 || row >= inH) { continue; }
            let xRow = (n * inH + row) * inW;
            for (var j = firstColumn; j < outW; j = j + lanesPerRow) {
              let column = j * uniforms.stride - uniforms.padding + v * uniforms.dilation;
              if (column >= 0 && column < inW) {
                sum = sum + dy[(r * outW + j) * channels + c] * x[(xRow + column) * channels + c];
              }
            }
          }
        }
        let total = workgroupSum(sum);
        if (localIndex == 0u && tap < taps) {
          result[tap] = total;
        }
      }`,
  };
}

/**
 * Depthwise convolution and both gradients as WGSL programs (see the module
 * header); `outputSpatial` is the output's `[height, width]`.
 */
export function depthwiseConv2dWebGpu(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  geometry: DepthwiseGeometry,
  outputSpatial: [number, number],
): tf.Tensor4D {
  const uniforms = geometryUniforms(geometry);
  const op = customOp(([input, weights], save) => {
    save([input, weights]);
    const [n, , , c] = input.shape;
    const value = runProgram(
      forwardProgram([n, ...outputSpatial, c]),
      [input, weights],
      uniforms,
    );
    return {
      value,
      gradFunc: (dy, [xSaved, wSaved]) => [
        runProgram(inputGradientProgram(xSaved.shape), [dy, wSaved], uniforms),
        gradientNeeds.weights
          ? runProgram(
            filterGradientProgram(wSaved.shape),
            [xSaved, dy],
            uniforms,
          )
          : tf.zerosLike(wSaved),
      ],
    };
  });
  return op(x, filter) as tf.Tensor4D;
}
