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
  chunking,
  nhwcElementProgram,
  type Program,
  type ProgramUniform,
  REDUCE_WORKGROUP,
  reductionChunk,
  runProgram,
  sumChunks,
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

function geometryProgram(
  key: string,
  outputShape: number[],
  variableNames: string[],
  body: string,
): Program {
  return nhwcElementProgram({
    shaderKey: `pcdarts_depthwise_${key}`,
    outputShape,
    variableNames,
    uniforms: GEOMETRY_UNIFORMS,
    body,
  });
}

/** Forward: inputs `x`, `w`; output `[n, outH, outW, c]`. */
function forwardProgram(outputShape: number[]): Program {
  return geometryProgram(
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
  return geometryProgram(
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

/**
 * Filter gradient: inputs `x`, `dy`; workgroup `(tap, chunk)` sums one tap of
 * `[kh, kw, c, 1]` over `uniforms.rowsPerChunk` rows (batch × output rows) of
 * chunk `chunk` and writes `result[chunk·taps + tap]`: the gradient itself
 * with one chunk, else partial sums for `sumChunks`.
 */
function filterGradientProgram(taps: number, chunks: number): Program {
  return {
    shaderKey: "pcdarts_depthwise_filter_gradient",
    outputShape: [chunks * taps],
    variableNames: ["x", "dy"],
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: [taps, chunks, 1],
    dispatchLayout: { x: [0] },
    uniforms:
      `${GEOMETRY_UNIFORMS} kernelWidth : i32, taps : i32, rowsPerChunk : i32,`,
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn main(index : i32) {
        let tap = i32(workgroupId.x);
        let piece = i32(workgroupId.y);
        let channels = uniforms.xShape.w;
        let kw = uniforms.kernelWidth;
        let c = tap % channels;
        let v = (tap / channels) % kw;
        let u = tap / (channels * kw);
        let inH = uniforms.xShape.y;
        let inW = uniforms.xShape.z;
        let outH = uniforms.dyShape.y;
        let outW = uniforms.dyShape.z;
        let firstRow = piece * uniforms.rowsPerChunk;
        let endRow = min(firstRow + uniforms.rowsPerChunk, uniforms.dyShape.x * outH);
        // Lanes side by side take neighbouring output columns (their reads
        // are adjacent); the workgroup's row groups stride over the rows.
        let lanesPerRow = min(outW, ${REDUCE_WORKGROUP});
        let rowGroups = ${REDUCE_WORKGROUP} / lanesPerRow;
        let lane = i32(localIndex);
        let group = lane / lanesPerRow;
        let firstColumn = lane % lanesPerRow;
        var sum = 0.0;
        if (group < rowGroups) {
          for (var r = firstRow + group; r < endRow; r = r + rowGroups) {
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
        if (localIndex == 0u) {
          result[piece * uniforms.taps + tap] = total;
        }
      }`,
  };
}

/**
 * The filter gradient, in one dispatch when the output pixels are at most
 * `reductionChunk`, else in chunks of rows and a summing dispatch (see
 * `setReductionChunk`: one workgroup per tap leaves most of a GPU idle).
 */
function filterGradient(
  x: tf.Tensor,
  dy: tf.Tensor,
  filterShape: number[],
  uniforms: ProgramUniform[],
): tf.Tensor {
  const [kh, kw, channels] = filterShape;
  const taps = kh * kw * channels;
  if (taps > 65535) {
    throw new Error(
      `depthwise filter gradient: ${taps} filter taps exceed one dispatch dimension (65535)`,
    );
  }
  const [n, outH, outW] = dy.shape;
  const rows = n * outH;
  // Whole rows per chunk, about reductionChunk() pixels each.
  const { chunks, chunk: perChunk } = chunking(
    rows,
    Math.max(1, Math.floor(reductionChunk() / outW)),
  );
  const partials = runProgram(filterGradientProgram(taps, chunks), [x, dy], [
    ...uniforms,
    { type: "int32", data: [kw] },
    { type: "int32", data: [taps] },
    { type: "int32", data: [perChunk] },
  ]);
  if (chunks === 1) return tf.reshape(partials, filterShape);
  const summed = sumChunks([partials], taps, chunks);
  partials.dispose();
  return tf.reshape(summed, filterShape);
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
  const forward = (input: tf.Tensor, weights: tf.Tensor) => {
    const [n, , , c] = input.shape;
    return runProgram(
      forwardProgram([n, ...outputSpatial, c]),
      [input, weights],
      uniforms,
    );
  };
  if (!gradientNeeds.weights) {
    // Architecture-only gradients: the filter is no input of the op, so no
    // zero gradient (a dispatch) is made for it.
    const op = customOp(([input], save) => {
      save([filter]);
      return {
        value: forward(input, filter),
        gradFunc: (dy, [wSaved]) => [
          runProgram(inputGradientProgram(input.shape), [dy, wSaved], uniforms),
        ],
      };
    });
    return op(x) as tf.Tensor4D;
  }
  const op = customOp(([input, weights], save) => {
    save([input, weights]);
    return {
      value: forward(input, weights),
      gradFunc: (dy, [xSaved, wSaved]) => [
        runProgram(inputGradientProgram(xSaved.shape), [dy, wSaved], uniforms),
        filterGradient(xSaved, dy, wSaved.shape, uniforms),
      ],
    };
  });
  return op(x, filter) as tf.Tensor4D;
}
