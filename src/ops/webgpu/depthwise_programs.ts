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
 * - filter gradient: `window_filter_gradient.ts`, shared with the regular
 *   convolution.
 */
import * as tf from "../../tf.ts";
import { customOp, gradientNeeds } from "../custom_gradient.ts";
import {
  nhwcElementProgram,
  type Program,
  runProgram,
} from "./webgpu_programs.ts";
import {
  WINDOW_GEOMETRY_UNIFORMS,
  windowFilterGradientWebGpu,
  type WindowGeometry,
  windowGeometryUniforms,
} from "./window_filter_gradient.ts";

/** Padding, stride and dilation of a depthwise convolution. */
export type DepthwiseGeometry = WindowGeometry;

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
    uniforms: WINDOW_GEOMETRY_UNIFORMS,
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
 * Depthwise convolution and both gradients as WGSL programs (see the module
 * header); `outputSpatial` is the output's `[height, width]`.
 */
export function depthwiseConv2dWebGpu(
  x: tf.Tensor4D,
  filter: tf.Tensor4D,
  geometry: DepthwiseGeometry,
  outputSpatial: [number, number],
): tf.Tensor4D {
  const uniforms = windowGeometryUniforms(geometry);
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
        windowFilterGradientWebGpu(xSaved, dy, wSaved.shape, geometry, true),
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
  return runProgram(
    inputGradientProgram(inputShape),
    [dy, filter],
    windowGeometryUniforms(geometry),
  );
}
