/**
 * The depthwise-separable block's weight-step backward after the depthwise
 * output's gradient `g` is known, in one dispatch: three independent
 * computations that read what is already computed, each in its own range of
 * workgroups:
 *
 * - the input gradient, one invocation per input element (as
 *   `depthwise_programs.ts`' input-gradient program);
 * - the depthwise filter gradient, one workgroup per filter tap summing over
 *   the output rows (the order of the regular convolution's,
 *   `window_filter_gradient.ts`);
 * - the pointwise filter gradient `spatialᵀ·dy`, one workgroup per filter
 *   entry.
 *
 * The input gradient's arithmetic is its program's, in the same order (the
 * same bits); the separate filter-gradient programs tile their sums for the
 * many pixels of large batches, so these two sum in another order (the same
 * to float32 rounding). The separate programs take three dispatches. Only
 * where both reductions fit one level (at most `reductionChunk()` pixels);
 * elsewhere the separate programs run.
 */
import type * as tf from "../../tf.ts";
import type { DepthwiseGeometry } from "./depthwise_programs.ts";
import { runMultiOutputProgram } from "./multi_output_program.ts";
import { MAX_FILTER_TAPS } from "./window_filter_gradient.ts";
import {
  chunking,
  REDUCE_WORKGROUP,
  reductionChunk,
  workgroupSumSnippet,
} from "./webgpu_programs.ts";

/** Whether one dispatch can take the whole backward pass (one-level reductions). */
export function separableBackwardFits(
  x: tf.Tensor,
  g: tf.Tensor,
  pointwise: tf.Tensor,
  depthwise: tf.Tensor,
): boolean {
  const [n, outH, outW] = g.shape;
  const pixels = n * outH * outW;
  const taps = depthwise.size;
  const rowsPerChunk = Math.max(1, Math.floor(reductionChunk() / outW));
  return chunking(n * outH, rowsPerChunk).chunks === 1 &&
    chunking(pixels).chunks === 1 && taps <= MAX_FILTER_TAPS &&
    pointwise.size <= 65535 && x.rank === 4;
}

/**
 * `[dx, d depthwise, d pointwise]` from the block's input `x`, its depthwise
 * output `spatial`, that output's gradient `g` and the block's output
 * gradient `dy`. Call when {@linkcode separableBackwardFits}.
 */
export function separableBackwardWebGpu(
  x: tf.Tensor,
  spatial: tf.Tensor,
  g: tf.Tensor,
  dy: tf.Tensor,
  depthwise: tf.Tensor,
  pointwise: tf.Tensor,
  geometry: DepthwiseGeometry,
): tf.Tensor[] {
  const [n, inH, inW, channels] = x.shape;
  const [, outH, outW] = g.shape;
  const [kh, kw] = depthwise.shape;
  const outChannels = pointwise.shape[pointwise.rank - 1];
  const taps = depthwise.size;
  const inputGroups = Math.ceil(x.size / REDUCE_WORKGROUP);
  const pointwiseEntries = channels * outChannels;
  const workgroups = inputGroups + taps + pointwiseEntries;
  const rows = n * outH;
  const rowsPerChunk = Math.max(1, Math.floor(reductionChunk() / outW));
  const wide = Math.ceil(workgroups / 65535);
  return runMultiOutputProgram({
    key: "pcdarts_separable_backward",
    writes: [
      { name: "dx", shape: x.shape },
      { name: "dDepthwise", shape: depthwise.shape },
      { name: "dPointwise", shape: pointwise.shape },
    ],
    reads: [
      { name: "x", tensor: x },
      { name: "spatial", tensor: spatial },
      { name: "g", tensor: g },
      { name: "dy", tensor: dy },
      { name: "w", tensor: depthwise },
    ],
    uniforms: [
      { name: "n", type: "i32", value: n },
      { name: "inH", type: "i32", value: inH },
      { name: "inW", type: "i32", value: inW },
      { name: "outH", type: "i32", value: outH },
      { name: "outW", type: "i32", value: outW },
      { name: "channels", type: "i32", value: channels },
      { name: "outChannels", type: "i32", value: outChannels },
      { name: "kh", type: "i32", value: kh },
      { name: "kw", type: "i32", value: kw },
      { name: "stride", type: "i32", value: geometry.stride },
      { name: "padding", type: "i32", value: geometry.padding },
      { name: "dilation", type: "i32", value: geometry.dilation },
      { name: "inputSize", type: "i32", value: x.size },
      { name: "inputGroups", type: "i32", value: inputGroups },
      { name: "taps", type: "i32", value: taps },
      { name: "pointwiseEntries", type: "i32", value: pointwiseEntries },
      { name: "rows", type: "i32", value: rows },
      { name: "rowsPerChunk", type: "i32", value: rowsPerChunk },
      { name: "pixels", type: "i32", value: rows * outW },
    ],
    workgroupSize: REDUCE_WORKGROUP,
    workgroups: [Math.ceil(workgroups / wide), wide, 1],
    prelude: workgroupSumSnippet(),
    body: `
  let channels = uniforms.channels;
  if (workgroup < uniforms.inputGroups) {
    // The input gradient: element index of x.
    let at = workgroup * ${REDUCE_WORKGROUP} + local;
    if (at < uniforms.inputSize) {
      let c = at % channels;
      let j = (at / channels) % uniforms.inW;
      let i = (at / (channels * uniforms.inW)) % uniforms.inH;
      let b = at / (channels * uniforms.inW * uniforms.inH);
      let base = b * uniforms.outH * uniforms.outW * channels + c;
      var sum = 0.0;
      for (var u = 0; u < uniforms.kh; u = u + 1) {
        let rowReach = i + uniforms.padding - u * uniforms.dilation;
        if (rowReach < 0 || rowReach % uniforms.stride != 0) { continue; }
        let outRow = rowReach / uniforms.stride;
        if (outRow >= uniforms.outH) { continue; }
        for (var v = 0; v < uniforms.kw; v = v + 1) {
          let columnReach = j + uniforms.padding - v * uniforms.dilation;
          if (columnReach < 0 || columnReach % uniforms.stride != 0) { continue; }
          let outColumn = columnReach / uniforms.stride;
          if (outColumn >= uniforms.outW) { continue; }
          sum = sum + g[base + (outRow * uniforms.outW + outColumn) * channels] * w[(u * uniforms.kw + v) * channels + c];
        }
      }
      dx[at] = sum;
    }
  } else if (workgroup < uniforms.inputGroups + uniforms.taps) {
    // The depthwise filter gradient: one tap.
    let tap = workgroup - uniforms.inputGroups;
    let xChannel = tap % channels;
    let spatialTap = tap / channels;
    let v = spatialTap % uniforms.kw;
    let u = spatialTap / uniforms.kw;
    let endRow = min(uniforms.rowsPerChunk, uniforms.rows);
    let lanesPerRow = min(uniforms.outW, ${REDUCE_WORKGROUP});
    let rowGroups = ${REDUCE_WORKGROUP} / lanesPerRow;
    let group = local / lanesPerRow;
    let firstColumn = local % lanesPerRow;
    var sum = 0.0;
    if (group < rowGroups) {
      for (var r = group; r < endRow; r = r + rowGroups) {
        let b = r / uniforms.outH;
        let row = (r - b * uniforms.outH) * uniforms.stride - uniforms.padding + u * uniforms.dilation;
        if (row < 0 || row >= uniforms.inH) { continue; }
        let xRow = (b * uniforms.inH + row) * uniforms.inW;
        for (var j = firstColumn; j < uniforms.outW; j = j + lanesPerRow) {
          let column = j * uniforms.stride - uniforms.padding + v * uniforms.dilation;
          if (column >= 0 && column < uniforms.inW) {
            sum = sum + g[(r * uniforms.outW + j) * channels + xChannel] * x[(xRow + column) * channels + xChannel];
          }
        }
      }
    }
    let total = workgroupSum(sum);
    if (local == 0) {
      dDepthwise[tap] = total;
    }
  } else if (workgroup < uniforms.inputGroups + uniforms.taps + uniforms.pointwiseEntries) {
    // The pointwise filter gradient: one entry of spatialᵀ·dy.
    let o = workgroup - uniforms.inputGroups - uniforms.taps;
    let cols = uniforms.outChannels;
    let i = o / cols;
    let j = o - i * cols;
    var sum = 0.0;
    for (var r = local; r < uniforms.pixels; r = r + ${REDUCE_WORKGROUP}) {
      sum = sum + spatial[r * channels + i] * dy[r * cols + j];
    }
    let total = workgroupSum(sum);
    if (local == 0) {
      dPointwise[o] = total;
    }
  }`,
  });
}
