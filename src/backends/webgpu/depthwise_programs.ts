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
 * - filter gradient: every tap of a channel summed by one invocation over its
 *   pixels, in chunks of pixels and a summing dispatch (see
 *   {@linkcode depthwiseFilterGradientWebGpu}).
 *
 * The filter's size and the geometry are compile-time constants of each
 * shader.
 */
import * as tf from "../../tf.ts";
import { customOp, gradientNeeds } from "../../ops/custom_gradient.ts";
import {
  chunking,
  nhwcElementProgram,
  type Program,
  REDUCE_WORKGROUP,
  runProgram,
  sumChunks,
} from "./webgpu_programs.ts";
import type { WindowGeometry } from "./window_filter_gradient.ts";

/** Padding, stride and dilation of a depthwise convolution. */
export type DepthwiseGeometry = WindowGeometry;

/**
 * The filter's size and the geometry as WGSL constants, and the shader key
 * part that names them: the tap loops unroll, and no division or remainder
 * by a runtime value is left in them (integer division by a uniform costs
 * tens of instructions on a GPU, and the input gradient took four per tap).
 */
function geometryConstants(
  kernel: [number, number],
  g: DepthwiseGeometry,
): { key: string; wgsl: string } {
  const [kh, kw] = kernel;
  return {
    key: `k${kh}x${kw}_s${g.stride}_d${g.dilation}_p${g.padding}`,
    wgsl: `const KH = ${kh}; const KW = ${kw}; const STRIDE = ${g.stride};
      const DILATION = ${g.dilation}; const PADDING = ${g.padding};`,
  };
}

/** Forward: inputs `x`, `w`; output `[n, outH, outW, c]`. */
function forwardProgram(
  outputShape: number[],
  kernel: [number, number],
  geometry: DepthwiseGeometry,
): Program {
  const constants = geometryConstants(kernel, geometry);
  return nhwcElementProgram({
    shaderKey: `pcdarts_depthwise_forward_${constants.key}`,
    outputShape,
    variableNames: ["x", "w"],
    prelude: constants.wgsl,
    body: `
          let inH = uniforms.xShape.y;
          let inW = uniforms.xShape.z;
          let base = n * inH * inW * channels + c;
          var sum = 0.0;
          for (var u = 0; u < KH; u = u + 1) {
            let row = i * STRIDE - PADDING + u * DILATION;
            if (row < 0 || row >= inH) { continue; }
            for (var v = 0; v < KW; v = v + 1) {
              let column = j * STRIDE - PADDING + v * DILATION;
              if (column < 0 || column >= inW) { continue; }
              sum = sum + x[base + (row * inW + column) * channels] * w[(u * KW + v) * channels + c];
            }
          }
          result[index] = sum;`,
  });
}

/** Input gradient: inputs `dy`, `w`; output the input's shape. */
function inputGradientProgram(
  inputShape: number[],
  kernel: [number, number],
  geometry: DepthwiseGeometry,
): Program {
  const constants = geometryConstants(kernel, geometry);
  return nhwcElementProgram({
    shaderKey: `pcdarts_depthwise_input_gradient_${constants.key}`,
    outputShape: inputShape,
    variableNames: ["dy", "w"],
    prelude: constants.wgsl,
    body: `
          let outH = uniforms.dyShape.y;
          let outW = uniforms.dyShape.z;
          let base = n * outH * outW * channels + c;
          var sum = 0.0;
          for (var u = 0; u < KH; u = u + 1) {
            let rowReach = i + PADDING - u * DILATION;
            if (rowReach < 0 || rowReach % STRIDE != 0) { continue; }
            let outRow = rowReach / STRIDE;
            if (outRow >= outH) { continue; }
            for (var v = 0; v < KW; v = v + 1) {
              let columnReach = j + PADDING - v * DILATION;
              if (columnReach < 0 || columnReach % STRIDE != 0) { continue; }
              let outColumn = columnReach / STRIDE;
              if (outColumn >= outW) { continue; }
              sum = sum + dy[base + (outRow * outW + outColumn) * channels] * w[(u * KW + v) * channels + c];
            }
          }
          result[index] = sum;`,
  });
}

/** Channels a workgroup of the filter gradient takes (more: more workgroups). */
const FILTER_GRADIENT_CHANNELS = 64;

/** Most taps whose partial sums a workgroup adds across its lanes at a time. */
const TAPS_PER_PASS = 8;

/**
 * The depthwise filter gradient's partial sums, all taps of a channel in one
 * invocation: lane `(channel, pixel lane)` walks its pixels of chunk
 * `workgroupId.x`, reads `dy` once per pixel and the input under each tap
 * (neighbouring lanes read neighbouring channels of the same pixel), and
 * keeps a sum per tap; the workgroup then adds its pixel lanes, up to eight
 * taps at a time. Writes `result[(chunk·taps + tap)·C + c]`.
 */
function filterGradientProgram(
  chunks: number,
  channels: number,
  kernel: [number, number],
  geometry: DepthwiseGeometry,
): Program {
  const constants = geometryConstants(kernel, geometry);
  const taps = kernel[0] * kernel[1];
  const laneChannels = Math.min(channels, FILTER_GRADIENT_CHANNELS);
  const pixelLanes = Math.floor(REDUCE_WORKGROUP / laneChannels);
  const blocks = Math.ceil(channels / laneChannels);
  // A pass's adding lanes: one per (tap, channel) of the block.
  const tapsPerPass = Math.min(TAPS_PER_PASS, pixelLanes);
  return {
    shaderKey:
      `pcdarts_depthwise_filter_gradient_${constants.key}_c${laneChannels}`,
    outputShape: [chunks * taps * channels],
    variableNames: ["x", "dy"],
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: [chunks, blocks, 1],
    dispatchLayout: { x: [0] },
    uniforms: "pixelsPerChunk : i32,",
    getUserCode: () => `
      ${constants.wgsl}
      const TAPS = ${taps};
      const LANE_CHANNELS = ${laneChannels};
      const PIXEL_LANES = ${pixelLanes};
      const TAPS_PER_PASS = ${tapsPerPass};
      var<workgroup> partial : array<f32, ${tapsPerPass * REDUCE_WORKGROUP}>;
      fn main(index : i32) {
        let chunk = i32(workgroupId.x);
        let lane = i32(localIndex);
        let channels = uniforms.xShape.w;
        let c = i32(workgroupId.y) * LANE_CHANNELS + lane % LANE_CHANNELS;
        let pixelLane = lane / LANE_CHANNELS;
        let inH = uniforms.xShape.y;
        let inW = uniforms.xShape.z;
        let outH = uniforms.dyShape.y;
        let outW = uniforms.dyShape.z;
        let pixels = uniforms.dyShape.x * outH * outW;
        let first = chunk * uniforms.pixelsPerChunk;
        let end = min(first + uniforms.pixelsPerChunk, pixels);
        var sums : array<f32, TAPS>;
        if (pixelLane < PIXEL_LANES && c < channels) {
          for (var q = first + pixelLane; q < end; q = q + PIXEL_LANES) {
            let j = q % outW;
            let r = q / outW;
            let n = r / outH;
            let i = r - n * outH;
            let g = dy[q * channels + c];
            for (var u = 0; u < KH; u = u + 1) {
              let row = i * STRIDE - PADDING + u * DILATION;
              if (row < 0 || row >= inH) { continue; }
              let xRow = (n * inH + row) * inW;
              for (var v = 0; v < KW; v = v + 1) {
                let column = j * STRIDE - PADDING + v * DILATION;
                if (column >= 0 && column < inW) {
                  sums[u * KW + v] = sums[u * KW + v] + g * x[(xRow + column) * channels + c];
                }
              }
            }
          }
        }
        for (var t0 = 0; t0 < TAPS; t0 = t0 + TAPS_PER_PASS) {
          for (var t = 0; t < TAPS_PER_PASS; t = t + 1) {
            if (t0 + t < TAPS) { partial[t * ${REDUCE_WORKGROUP} + lane] = sums[t0 + t]; }
          }
          workgroupBarrier();
          // Lane (t, channel) adds tap t0 + t of its channel over the pixel lanes.
          let t = lane / LANE_CHANNELS;
          let laneChannel = lane % LANE_CHANNELS;
          let channel = i32(workgroupId.y) * LANE_CHANNELS + laneChannel;
          if (t < TAPS_PER_PASS && t0 + t < TAPS && channel < channels) {
            var total = 0.0;
            for (var p = 0; p < PIXEL_LANES; p = p + 1) {
              total = total + partial[t * ${REDUCE_WORKGROUP} + p * LANE_CHANNELS + laneChannel];
            }
            result[(chunk * TAPS + t0 + t) * channels + channel] = total;
          }
          workgroupBarrier();
        }
      }`,
  };
}

/**
 * The filter gradient of a depthwise convolution of `x` (filter
 * `[kh, kw, C, 1]`) whose output's gradient is `dy`: one dispatch when the
 * output pixels are at most `reductionChunk()`, else chunks and a summing
 * dispatch.
 */
export function depthwiseFilterGradientWebGpu(
  x: tf.Tensor,
  dy: tf.Tensor,
  filterShape: number[],
  geometry: DepthwiseGeometry,
): tf.Tensor {
  const [kh, kw, channels] = filterShape;
  const [n, outH, outW] = dy.shape;
  const { chunks, chunk } = chunking(n * outH * outW);
  const partials = runProgram(
    filterGradientProgram(chunks, channels, [kh, kw], geometry),
    [x, dy],
    [{ type: "int32", data: [chunk] }],
  );
  const summed = chunks === 1
    ? partials
    : sumChunks([partials], kh * kw * channels, chunks);
  if (summed !== partials) partials.dispose();
  const gradient = tf.reshape(summed, filterShape);
  summed.dispose();
  return gradient;
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
  const kernel: [number, number] = [filter.shape[0], filter.shape[1]];
  const forward = (input: tf.Tensor, weights: tf.Tensor) => {
    const [n, , , c] = input.shape;
    return runProgram(
      forwardProgram([n, ...outputSpatial, c], kernel, geometry),
      [input, weights],
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
          depthwiseInputGradientWebGpu(dy, wSaved, input.shape, geometry),
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
        depthwiseInputGradientWebGpu(dy, wSaved, xSaved.shape, geometry),
        depthwiseFilterGradientWebGpu(xSaved, dy, wSaved.shape, geometry),
      ],
    };
  });
  return op(x, filter) as tf.Tensor4D;
}

/** The input gradient of a depthwise convolution from `dy` (one dispatch). */
export function depthwiseInputGradientWebGpu(
  dy: tf.Tensor,
  filter: tf.Tensor,
  inputShape: number[],
  geometry: DepthwiseGeometry,
): tf.Tensor {
  const [kh, kw] = filter.shape as number[];
  return runProgram(
    inputGradientProgram(inputShape, [kh, kw], geometry),
    [dy, filter],
  );
}
