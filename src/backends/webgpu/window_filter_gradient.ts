/**
 * The filter gradient of a regular convolution (NHWC, filter
 * `[kh, kw, Cin, Cout]`) on the webgpu backend:
 *
 *   `dw[u,v,ci,co] = Σ_{n,i,j} x[n, i·s − p + u·d, j·s − p + v·d, ci]·dy[n,i,j,co]`
 *
 * (the depthwise one is `depthwise_programs.ts`'). Every filter element ("tap") is a sum over
 * the whole batch's output pixels, and filters are small, so the sum is what
 * needs the parallelism: workgroup `(tap, chunk)` sums about `reductionChunk()`
 * pixels of one tap, and a second dispatch adds the chunks. tfjs' own program
 * (`Conv2DDerFilterProgram`) gives each filter element one invocation that
 * walks every pixel, so a few hundred invocations each walk hundreds of
 * thousands of pixels at the paper's batch (figures: docs/performance.md,
 * "Kernel choices").
 */
import * as tf from "../../tf.ts";
import {
  chunking,
  type Program,
  type ProgramUniform,
  REDUCE_WORKGROUP,
  reductionChunk,
  runProgram,
  sumChunks,
  workgroupSumSnippet,
} from "./webgpu_programs.ts";

/**
 * The most filter elements one dispatch can give a workgroup row each (WebGPU's
 * 65,535 workgroups per dimension). A larger filter has outputs enough to keep
 * a GPU busy with one invocation each, tfjs' own program.
 */
export const MAX_FILTER_TAPS = 65535;

/** Padding, stride and dilation of a windowed convolution. */
export interface WindowGeometry {
  stride: number;
  padding: number;
  dilation: number;
}

/** WGSL uniform declarations of a {@linkcode WindowGeometry}. */
export const WINDOW_GEOMETRY_UNIFORMS =
  "stride : i32, padding : i32, dilation : i32,";

/** The uniform values of a {@linkcode WindowGeometry}, in declaration order. */
export function windowGeometryUniforms(g: WindowGeometry): ProgramUniform[] {
  return [
    { type: "int32", data: [g.stride] },
    { type: "int32", data: [g.padding] },
    { type: "int32", data: [g.dilation] },
  ];
}

/**
 * Inputs `x`, `dy`; workgroup `(tap, chunk)` sums one tap over
 * `uniforms.rowsPerChunk` rows (batch × output rows) of chunk `chunk` and
 * writes `result[chunk·taps + tap]`: the gradient itself with one chunk, else
 * partial sums for `sumChunks`. Taps are numbered in the filter's layout.
 */
function filterGradientProgram(taps: number, chunks: number): Program {
  return {
    shaderKey: "pcdarts_conv_filter_gradient",
    outputShape: [chunks * taps],
    variableNames: ["x", "dy"],
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: [taps, chunks, 1],
    dispatchLayout: { x: [0] },
    uniforms:
      `${WINDOW_GEOMETRY_UNIFORMS} kernelWidth : i32, taps : i32, rowsPerChunk : i32,`,
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn main(index : i32) {
        let tap = i32(workgroupId.x);
        let piece = i32(workgroupId.y);
        let xChannels = uniforms.xShape.w;
        let dyChannels = uniforms.dyShape.w;
        let dyChannel = tap % dyChannels;
        let xChannel = (tap / dyChannels) % xChannels;
        let spatial = tap / (dyChannels * xChannels);
        let kw = uniforms.kernelWidth;
        let v = spatial % kw;
        let u = spatial / kw;
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
                sum = sum + dy[(r * outW + j) * dyChannels + dyChannel] * x[(xRow + column) * xChannels + xChannel];
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
 * The filter gradient (`[kh, kw, Cin, Cout]`) of a regular convolution of
 * `x` whose output's gradient is `dy`: one dispatch when the output pixels are at
 * most `reductionChunk()`, else chunks of whole output rows and a summing
 * dispatch (see the module header).
 */
export function windowFilterGradientWebGpu(
  x: tf.Tensor,
  dy: tf.Tensor,
  filterShape: number[],
  geometry: WindowGeometry,
): tf.Tensor {
  const [kh, kw, inChannels, outChannels] = filterShape;
  const taps = kh * kw * inChannels * outChannels;
  if (taps > MAX_FILTER_TAPS) {
    throw new Error(
      `filter gradient: ${taps} filter taps exceed one dispatch dimension (${MAX_FILTER_TAPS})`,
    );
  }
  const [n, outH, outW] = dy.shape;
  const rows = n * outH;
  // Whole rows per chunk, about reductionChunk() pixels each.
  const { chunks, chunk: perChunk } = chunking(
    rows,
    Math.max(1, Math.floor(reductionChunk() / outW)),
  );
  const partials = runProgram(
    filterGradientProgram(taps, chunks),
    [x, dy],
    [
      ...windowGeometryUniforms(geometry),
      { type: "int32", data: [kw] },
      { type: "int32", data: [taps] },
      { type: "int32", data: [perChunk] },
    ],
  );
  const summed = chunks === 1 ? partials : sumChunks([partials], taps, chunks);
  if (summed !== partials) partials.dispose();
  const gradient = tf.reshape(summed, filterShape);
  summed.dispose();
  return gradient;
}
