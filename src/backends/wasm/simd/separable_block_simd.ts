/**
 * `separableConvBatchNorm` on the wasm backend: the block's depthwise,
 * pointwise, batch-norm and ReLU kernels (the ones each op runs alone, in the
 * same order, on the same operands: the same bits) inside one custom op, so
 * that the block records one tape node, saves each tensor once and runs one
 * gradient function instead of three or four.
 */
import * as tf from "../../../tf.ts";
import {
  BATCH_NORM_EPSILON,
  type BatchNormResult,
} from "../../../ops/batch_norm.ts";
import { customOp, gradientNeeds } from "../../../ops/custom_gradient.ts";
import {
  depthwiseGeometry,
  type DepthwiseOptions,
} from "../../../ops/depthwise_conv2d.ts";
import { PASS } from "../../../ops/op_kernels.ts";
import { reluPasses } from "./activation_simd.ts";
import { batchNormPasses } from "./batch_norm_simd.ts";
import { depthwisePasses } from "./depthwise_simd.ts";
import { pointwisePasses } from "./pointwise_simd.ts";
import type { SimdKernels } from "./simd_kernels.ts";

/**
 * The whole block as one custom op; {@linkcode PASS} where one of its kernels
 * would not run alone (a stride that is not a power of two, channel counts
 * the in-place products or the batch norm do not take).
 */
export function separableConvBatchNormSimd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  depthwise: tf.Tensor4D,
  pointwise: tf.Tensor,
  options: DepthwiseOptions,
  thenRelu: boolean,
  epsilon: number = BATCH_NORM_EPSILON,
): BatchNormResult | typeof PASS {
  if (x.dtype !== "float32") return PASS;
  const { geometry, outputSpatial } = depthwiseGeometry(
    x,
    depthwise,
    options,
  );
  if (!Number.isInteger(Math.log2(geometry.stride))) return PASS;
  const [n, , , c] = x.shape;
  const [outH, outW] = outputSpatial;
  const cols = pointwise.shape[pointwise.rank - 1];
  const pw = pointwisePasses(simd, [n, outH, outW, c], pointwise.shape);
  const bn = batchNormPasses(simd, [n, outH, outW, cols], epsilon);
  if (pw === null || bn === null) return PASS;
  const dw = depthwisePasses(
    simd,
    x.shape,
    depthwise.shape,
    geometry,
    outputSpatial,
  );
  const relu = reluPasses(simd);
  // No filter gradients wanted (an architecture step): variable filters,
  // which outlive the backward pass, stay off the tape, so they are neither
  // saved (clones) nor given zero gradients.
  const filtersOnTape = gradientNeeds.weights ||
    !(depthwise instanceof tf.Variable && pointwise instanceof tf.Variable);
  // The input and the depthwise output are read again only for the filters'
  // gradients.
  const keepOperands = gradientNeeds.weights;
  let statistics: tf.Tensor1D | undefined;
  const op = customOp((tensors, save) => {
    const input = tensors[0];
    const [dwFilter, pwFilter] = filtersOnTape
      ? [tensors[1], tensors[2]]
      : [depthwise, pointwise];
    const spatial = dw.forward(input, dwFilter);
    const mixed = pw.forward(spatial, pwFilter);
    const normalized = bn.forward(mixed, null, null);
    statistics = normalized.statistics;
    const value = thenRelu
      ? relu.forward(normalized.output)
      : normalized.output;
    const filters = filtersOnTape ? [dwFilter, pwFilter] : [];
    const operands = keepOperands ? [input, spatial] : [];
    // The batch norm's output is read again only for the ReLU's gradient.
    const activation = thenRelu ? [normalized.output] : [];
    save([mixed, ...activation, ...filters, ...operands]);
    return {
      value,
      gradFunc: (dy, saved) => {
        const rest = saved.slice(1);
        const mixedSaved = saved[0];
        const normalizedSaved = thenRelu ? rest.shift() : undefined;
        const [dwSaved, pwSaved] = filtersOnTape
          ? rest.splice(0, 2)
          : [depthwise, pointwise];
        const [inputSaved, spatialSaved] = keepOperands ? rest : [];
        const dNormalized = normalizedSaved
          ? relu.backward(normalizedSaved, dy)
          : dy;
        const { dx: dMixed } = bn.backward(
          dNormalized,
          mixedSaved,
          normalized.state,
        );
        if (dNormalized !== dy) dNormalized.dispose();
        const dSpatial = pw.inputGrad(dMixed, pwSaved);
        const dPointwise = spatialSaved
          ? pw.filterGrad(spatialSaved, dMixed)
          : undefined;
        dMixed.dispose();
        const dx = dw.inputGrad(dSpatial, dwSaved);
        const dDepthwise = inputSaved
          ? dw.filterGrad(inputSaved, dSpatial)
          : undefined;
        dSpatial.dispose();
        if (!filtersOnTape) return [dx];
        return [
          dx,
          dDepthwise ?? tf.zerosLike(dwSaved),
          dPointwise ?? tf.zerosLike(pwSaved),
        ];
      },
    };
  });
  const inputs = filtersOnTape ? [x, depthwise, pointwise] : [x];
  const output = op(...inputs) as tf.Tensor4D;
  return { output, statistics: statistics! };
}
