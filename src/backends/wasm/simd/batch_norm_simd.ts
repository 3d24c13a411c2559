/**
 * Training-mode batch normalization as the wasm backend's SIMD kernels, for
 * channel counts divisible by 4: the host version's double sums and double
 * element-wise maps, each output rounded to float32 once.
 */
import * as tf from "../../../tf.ts";
import {
  BATCH_NORM_EPSILON,
  type BatchNormResult,
} from "../../../ops/batch_norm.ts";
import { customOp } from "../../../ops/custom_gradient.ts";
import { PASS } from "../../../ops/op_kernels.ts";
import type { SimdKernels } from "./simd_kernels.ts";

/**
 * `out = (a − c0)·c1 + b·c2 + c3` per channel with the SIMD kernel (in doubles,
 * rounded once); `coefficients` is `[c0, c1, c2, c3]`, each `channels` long;
 * `b` = 0 leaves out its term.
 */
function centeredAffine(
  simd: SimdKernels,
  a: number,
  b: number,
  out: number,
  coefficients: Float64Array,
  pixels: number,
): void {
  const channels = coefficients.length / 4;
  const kernel = channels % 4 === 0
    ? simd.kernels.bn_centered_affine
    : simd.kernels.bn_centered_affine_d;
  simd.withScratch(4 * channels, (pointer, view) => {
    view().set(coefficients);
    kernel(a, b, out, pointer, pixels, channels);
  });
}

/** What a batch norm's forward pass leaves for its backward pass. */
export interface BatchNormState {
  /** The batch means, in doubles. */
  mean: Float64Array;
  /** `1 / sqrt(variance + ε)` per channel, in doubles. */
  invStd: Float64Array;
  /** γ per channel, or null (not affine). */
  gamma: Float32Array | null;
}

/**
 * The two passes of a training-mode batch norm over `[n, h, w, c]` on the
 * heap (four channels a vector, or two where 4 does not divide them), each
 * into a new tensor; null for odd channel counts.
 */
export interface BatchNormPasses {
  /**
   * The normalized (and, with γ and β, scaled and shifted) `x`, the batch
   * statistics `[2C]` (means, then biased variances; kept: the caller owns
   * them) and the state its backward pass needs.
   */
  forward(
    x: tf.Tensor,
    gamma: Float32Array | null,
    beta: Float32Array | null,
  ): { output: tf.Tensor; statistics: tf.Tensor1D; state: BatchNormState };
  /**
   * The input's gradient, and with γ the sums `Σ dy·x̂` and `Σ dy` per
   * channel (γ's and β's gradients).
   */
  backward(
    dy: tf.Tensor,
    x: tf.Tensor,
    state: BatchNormState,
  ): { dx: tf.Tensor; dGamma?: tf.Tensor1D; dBeta?: tf.Tensor1D };
}

/** {@linkcode BatchNormPasses} for `shape`, or null for an odd channel count. */
export function batchNormPasses(
  simd: SimdKernels,
  shape: number[],
  epsilon: number = BATCH_NORM_EPSILON,
): BatchNormPasses | null {
  const channels = shape[3];
  if (channels % 2 !== 0) return null;
  const quads = channels % 4 === 0;
  const moments = quads ? simd.kernels.bn_moments : simd.kernels.bn_moments_d;
  const backwardSums = quads
    ? simd.kernels.bn_backward_sums
    : simd.kernels.bn_backward_sums_d;
  const pixels = shape[0] * shape[1] * shape[2];
  return {
    forward: (x, g, b) => {
      const out = simd.allocate(shape);
      const xPointer = simd.pointer(x);
      const stats = simd.withScratch(2 * channels, (pointer, view) => {
        moments(xPointer, pointer, pixels, channels);
        return Float64Array.from(view());
      });
      const mean = stats.subarray(0, channels);
      const varianceValues = stats.subarray(channels);
      const invStd = new Float64Array(channels);
      // [mean, scale, 0, shift] per channel: out = (x − mean)·scale + shift.
      const coefficients = new Float64Array(4 * channels);
      for (let c = 0; c < channels; c++) {
        invStd[c] = 1 / Math.sqrt(varianceValues[c] + epsilon);
        coefficients[c] = mean[c];
        coefficients[channels + c] = invStd[c] * (g ? g[c] : 1);
        coefficients[3 * channels + c] = b ? b[c] : 0;
      }
      centeredAffine(simd, xPointer, 0, out.pointer, coefficients, pixels);
      return {
        output: out.tensor,
        statistics: tf.keep(tf.tensor1d(Float32Array.from(stats))),
        state: { mean, invStd, gamma: g },
      };
    },
    backward: (dy, x, { mean, invStd, gamma: g }) => {
      const dx = simd.allocate(shape);
      const upstream = simd.pointer(dy);
      const xPointer = simd.pointer(x);
      // sums[c] = Σ dy, sums[channels + c] = Σ dy·(x − μ).
      const sums = simd.withScratch(3 * channels, (pointer, view) => {
        view().set(mean);
        backwardSums(
          upstream,
          xPointer,
          pointer,
          pointer + 8 * channels,
          pixels,
          channels,
        );
        return Float64Array.from(view().subarray(channels));
      });
      // dx = (x − μ)·xScale + dy·outScale + dxShift, per channel.
      const dxCoefficients = new Float64Array(4 * channels);
      for (let c = 0; c < channels; c++) {
        const sumDy = sums[c];
        const sumDyCentered = sums[channels + c];
        const projection = (invStd[c] * invStd[c] * sumDyCentered) / pixels;
        const outScale = invStd[c] * (g ? g[c] : 1);
        dxCoefficients[c] = mean[c];
        dxCoefficients[channels + c] = -projection * outScale;
        dxCoefficients[2 * channels + c] = outScale;
        dxCoefficients[3 * channels + c] = -(sumDy / pixels) * outScale;
      }
      centeredAffine(
        simd,
        xPointer,
        upstream,
        dx.pointer,
        dxCoefficients,
        pixels,
      );
      if (!g) return { dx: dx.tensor };
      return {
        dx: dx.tensor,
        dGamma: tf.tensor1d(
          Float32Array.from(sums.subarray(channels), (v, c) => v * invStd[c]),
        ),
        dBeta: tf.tensor1d(Float32Array.from(sums.subarray(0, channels))),
      };
    },
  };
}

/**
 * `batchNormTraining` on the heap: four channels a vector, or two where 4
 * does not divide them; odd channel counts: {@linkcode PASS}.
 */
export function batchNormTrainingSimd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  gamma?: tf.Tensor1D,
  beta?: tf.Tensor1D,
  epsilon: number = BATCH_NORM_EPSILON,
): BatchNormResult | typeof PASS {
  const passes = batchNormPasses(simd, x.shape, epsilon);
  if (passes === null) return PASS;
  let statistics: tf.Tensor1D | undefined;
  const inputs = gamma && beta ? [x, gamma, beta] : [x];
  const op = customOp((tensors, save) => {
    save([tensors[0]]);
    const g = tensors.length > 1 ? tensors[1].dataSync() as Float32Array : null;
    const b = tensors.length > 1 ? tensors[2].dataSync() as Float32Array : null;
    const forward = passes.forward(tensors[0], g, b);
    statistics = forward.statistics;
    return {
      value: forward.output,
      gradFunc: (dy, saved) => {
        const { dx, dGamma, dBeta } = passes.backward(
          dy,
          saved[0],
          forward.state,
        );
        return dGamma && dBeta ? [dx, dGamma, dBeta] : [dx];
      },
    };
  });
  const output = op(...inputs) as tf.Tensor4D;
  return { output, statistics: statistics! };
}
