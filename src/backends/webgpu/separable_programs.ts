/**
 * A depthwise convolution followed by a pointwise one (the depthwise-separable
 * block of `sep_conv` and `dil_conv`) with one forward dispatch on the webgpu
 * backend: each invocation takes one output pixel, computes its depthwise
 * values for every channel, writes them (the pointwise filter's gradient reads
 * them), and multiplies them by the pointwise filter while they are in
 * registers. The sums run in the order of the separate programs
 * (`depthwise_programs.ts`, the thin product of `pointwise_programs.ts`), so
 * the values are the same bits; the gradients are theirs (the three of a
 * weight step in one dispatch where the reductions take one level,
 * `separable_backward_program.ts`). Without filter gradients (an architecture
 * step) the depthwise values are not written.
 *
 * For up to {@linkcode THIN} channels in and out (the search network's widest
 * partial-channel convolution has 16); wider ones take the separate programs.
 */
import * as tf from "../../tf.ts";
import { customOp, gradientNeeds } from "../../ops/custom_gradient.ts";
import { runMultiOutputProgram } from "./multi_output_program.ts";
import {
  depthwiseFilterGradientWebGpu,
  type DepthwiseGeometry,
  depthwiseInputGradientWebGpu,
} from "./depthwise_programs.ts";
import { THIN, transposedProductWebGpu } from "./pointwise_programs.ts";
import {
  separableBackwardFits,
  separableBackwardWebGpu,
} from "./separable_backward_program.ts";
import { elementDispatch } from "./webgpu_programs.ts";

const WORKGROUP = 64;

/** Whether the fused program takes these widths. */
export function separableFits(channels: number, outChannels: number): boolean {
  return channels <= THIN && outChannels <= THIN;
}

function forward(
  x: tf.Tensor,
  depthwise: tf.Tensor,
  pointwise: tf.Tensor,
  geometry: DepthwiseGeometry,
  outputSpatial: [number, number],
  writeSpatial: boolean,
): { spatial?: tf.Tensor; output: tf.Tensor } {
  const [n, inH, inW, channels] = x.shape;
  const [kh, kw] = depthwise.shape;
  const outChannels = pointwise.shape[pointwise.rank - 1];
  const [outH, outW] = outputSpatial;
  const pixels = n * outH * outW;
  const outputs = runMultiOutputProgram({
    key: `pcdarts_separable_forward_${channels}_${writeSpatial}`,
    writes: [
      { name: "output", shape: [n, outH, outW, outChannels] },
      ...(writeSpatial
        ? [{ name: "spatial", shape: [n, outH, outW, channels] }]
        : []),
    ],
    reads: [
      { name: "x", tensor: x },
      { name: "w", tensor: depthwise },
      { name: "pointwise", tensor: pointwise },
    ],
    uniforms: [
      { name: "pixels", type: "i32", value: pixels },
      { name: "inH", type: "i32", value: inH },
      { name: "inW", type: "i32", value: inW },
      { name: "outH", type: "i32", value: outH },
      { name: "outW", type: "i32", value: outW },
      { name: "kh", type: "i32", value: kh },
      { name: "kw", type: "i32", value: kw },
      { name: "outChannels", type: "i32", value: outChannels },
      { name: "stride", type: "i32", value: geometry.stride },
      { name: "padding", type: "i32", value: geometry.padding },
      { name: "dilation", type: "i32", value: geometry.dilation },
    ],
    workgroupSize: WORKGROUP,
    workgroups: elementDispatch(pixels, WORKGROUP),
    body: `if (index >= uniforms.pixels) { return; }
  let channels = ${channels};
  let j = index % uniforms.outW;
  let i = (index / uniforms.outW) % uniforms.outH;
  let n = index / (uniforms.outW * uniforms.outH);
  var values : array<f32, ${channels}>;
  for (var c = 0; c < channels; c = c + 1) {
    let base = n * uniforms.inH * uniforms.inW * channels + c;
    var sum = 0.0;
    for (var u = 0; u < uniforms.kh; u = u + 1) {
      let row = i * uniforms.stride - uniforms.padding + u * uniforms.dilation;
      if (row < 0 || row >= uniforms.inH) { continue; }
      for (var v = 0; v < uniforms.kw; v = v + 1) {
        let column = j * uniforms.stride - uniforms.padding + v * uniforms.dilation;
        if (column < 0 || column >= uniforms.inW) { continue; }
        sum = sum + x[base + (row * uniforms.inW + column) * channels] * w[(u * uniforms.kw + v) * channels + c];
      }
    }
    values[c] = sum;
    ${writeSpatial ? "spatial[index * channels + c] = sum;" : ""}
  }
  for (var o = 0; o < uniforms.outChannels; o = o + 1) {
    var sum = 0.0;
    for (var c = 0; c < channels; c = c + 1) {
      sum = sum + values[c] * pointwise[c * uniforms.outChannels + o];
    }
    output[index * uniforms.outChannels + o] = sum;
  }`,
  });
  return { output: outputs[0], spatial: writeSpatial ? outputs[1] : undefined };
}

/**
 * `pointwise(depthwise(x))` (filters `[kh, kw, C, 1]` and `[C, C']` or
 * `[1, 1, C, C']`) and its gradients; `outputSpatial` is the output's
 * `[height, width]`. Call on webgpu when {@linkcode separableFits}.
 */
export function separableConvWebGpu(
  x: tf.Tensor4D,
  depthwise: tf.Tensor4D,
  pointwise: tf.Tensor,
  geometry: DepthwiseGeometry,
  outputSpatial: [number, number],
): tf.Tensor4D {
  const channels = x.shape[3];
  const outChannels = pointwise.shape[pointwise.rank - 1];
  const rowsOf = (t: tf.Tensor, width: number) =>
    tf.reshape(t, [t.size / width, width]) as tf.Tensor2D;
  /**
   * `dy·pwᵀ`, the depthwise output's gradient, in the depthwise output's
   * shape (the thin product's sum, in its order).
   */
  const spatialGradient = (dy: tf.Tensor) => {
    const [n, h, w] = dy.shape;
    const size = n * h * w * channels;
    return runMultiOutputProgram({
      key: "pcdarts_separable_spatial_gradient",
      writes: [{ name: "spatialGradient", shape: [n, h, w, channels] }],
      reads: [
        { name: "dy", tensor: dy },
        { name: "pointwise", tensor: pointwise },
      ],
      uniforms: [
        { name: "size", type: "i32", value: size },
        { name: "channels", type: "i32", value: channels },
        { name: "outChannels", type: "i32", value: outChannels },
      ],
      workgroupSize: WORKGROUP,
      workgroups: elementDispatch(size, WORKGROUP),
      body: `if (index >= uniforms.size) { return; }
  let c = index % uniforms.channels;
  let pixel = index / uniforms.channels;
  var sum = 0.0;
  for (var o = 0; o < uniforms.outChannels; o = o + 1) {
    sum = sum + dy[pixel * uniforms.outChannels + o] * pointwise[c * uniforms.outChannels + o];
  }
  spatialGradient[index] = sum;`,
    })[0];
  };
  // The filters are read from here in the gradient, not saved (saving
  // clones them): the caller keeps them alive until the gradient is taken,
  // as it does its weights.
  if (!gradientNeeds.weights) {
    const op = customOp(([input]) => {
      return {
        value:
          forward(input, depthwise, pointwise, geometry, outputSpatial, false)
            .output,
        gradFunc: (dy) => {
          const dSpatial = spatialGradient(dy);
          const dx = depthwiseInputGradientWebGpu(
            dSpatial,
            depthwise,
            x.shape,
            geometry,
          );
          dSpatial.dispose();
          return [dx];
        },
      };
    });
    return op(x) as tf.Tensor4D;
  }
  const op = customOp(([input, dw, pw], save) => {
    const { output, spatial } = forward(
      input,
      dw,
      pw,
      geometry,
      outputSpatial,
      true,
    );
    save([input, spatial!]);
    spatial!.dispose();
    return {
      value: output,
      gradFunc: (dy, [xSaved, spatialSaved]) => {
        const dSpatial = spatialGradient(dy);
        if (separableBackwardFits(xSaved, dSpatial, pointwise, depthwise)) {
          const grads = separableBackwardWebGpu(
            xSaved,
            spatialSaved,
            dSpatial,
            dy,
            depthwise,
            pointwise,
            geometry,
          );
          dSpatial.dispose();
          return grads;
        }
        const dx = depthwiseInputGradientWebGpu(
          dSpatial,
          depthwise,
          xSaved.shape,
          geometry,
        );
        const dDepthwise = depthwiseFilterGradientWebGpu(
          xSaved,
          dSpatial,
          depthwise.shape,
          geometry,
        );
        const dPointwiseRows = transposedProductWebGpu(
          rowsOf(spatialSaved, channels),
          rowsOf(dy, outChannels),
        );
        const dPointwise = tf.reshape(dPointwiseRows, pointwise.shape);
        dPointwiseRows.dispose();
        dSpatial.dispose();
        return [dx, dDepthwise, dPointwise];
      },
    };
  });
  return op(x, depthwise, pointwise) as tf.Tensor4D;
}
