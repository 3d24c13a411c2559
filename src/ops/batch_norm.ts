/**
 * Batch normalization over N, H and W of an NHWC tensor, as PyTorch's
 * `BatchNorm2d`: training mode normalizes with the batch's biased variance and
 * reports the batch statistics (for running averages, which use the unbiased
 * variance); evaluation mode uses the running statistics. The training-mode
 * gradient is one fused custom gradient instead of the many small ops that
 * differentiating `moments` would launch. Portable: tfjs ops; the cpu and
 * wasm backends register a host version (double sums, no kernel launches:
 * faster there), wasm SIMD kernels for it, webgpu WGSL programs (four
 * dispatches forward and backward, six above 4,096 pixels per channel,
 * instead of about 23 tfjs kernels).
 */
import * as tf from "../tf.ts";
import { relu } from "./activation.ts";
import { customOp } from "./custom_gradient.ts";
import { defineOp } from "./op_kernels.ts";

/** PyTorch's default epsilon. */
export const BATCH_NORM_EPSILON = 1e-5;

/** Result of {@linkcode batchNormTraining}. */
export interface BatchNormResult {
  /** The normalized (and, if affine, scaled and shifted) output. */
  output: tf.Tensor4D;
  /**
   * The batch statistics, `[2C]`: the mean of each channel, then its biased
   * variance (one tensor, so that one dispatch computes both on webgpu and one
   * updates both running averages).
   */
  statistics: tf.Tensor1D;
}

/**
 * Training-mode batch normalization. `gamma` and `beta` are both given (affine)
 * or both omitted.
 */
export const batchNormTraining = defineOp(
  "batchNormTraining",
  (
    x: tf.Tensor4D,
    gamma?: tf.Tensor1D,
    beta?: tf.Tensor1D,
    epsilon: number = BATCH_NORM_EPSILON,
  ): BatchNormResult => batchNormTrainingOps(x, gamma, beta, epsilon),
);

/**
 * `relu(batchNormTraining(x))` without γ and β (a batch norm followed by a
 * ReLU, as inside `sep_conv`); portable: the two ops (webgpu registers one
 * program a pass, `batch_norm_fused_programs.ts`).
 */
export const batchNormReluTraining = defineOp(
  "batchNormReluTraining",
  (x: tf.Tensor4D, epsilon: number = BATCH_NORM_EPSILON): BatchNormResult => {
    const { output, statistics } = batchNormTraining(
      x,
      undefined,
      undefined,
      epsilon,
    );
    return { output: relu(output), statistics };
  },
);

/** Training-mode batch normalization from tfjs ops (the portable version). */
export function batchNormTrainingOps(
  x: tf.Tensor4D,
  gamma?: tf.Tensor1D,
  beta?: tf.Tensor1D,
  epsilon = BATCH_NORM_EPSILON,
): BatchNormResult {
  const axes = [0, 1, 2];
  let statistics: tf.Tensor1D | undefined;
  // Statistics are computed inside the custom op (not taped) and kept for the
  // caller; the custom gradient already accounts for their dependence on x.
  // The mean rounded to float32 is off by up to half an ulp of itself, and
  // x − mean carries that error into every output: with |mean| / std = 27 the
  // outputs landed 1.2e-6 (relative) from exact, ten times the rest. So the
  // input is centered twice: on the rounded mean, then on the residual mean
  // of the centered values, which restores the lost low-order part.
  const normalize = (input: tf.Tensor) => {
    const rounded = tf.mean(input, axes);
    const centeredOnce = tf.sub(input, rounded);
    const moments = tf.moments(centeredOnce, axes);
    statistics = tf.keep(
      tf.concat([
        tf.add(rounded, moments.mean),
        moments.variance,
      ]) as tf.Tensor1D,
    );
    const invStd = tf.rsqrt(tf.add(moments.variance, epsilon));
    return {
      xHat: tf.mul(tf.sub(centeredOnce, moments.mean), invStd),
      invStd,
    };
  };
  const normalizeGrad = (dy: tf.Tensor, xHat: tf.Tensor, scale: tf.Tensor) => {
    const g = tf.mul(dy, scale);
    const meanG = tf.mean(g, axes);
    const meanGX = tf.mean(tf.mul(g, xHat), axes);
    return tf.sub(tf.sub(g, meanG), tf.mul(xHat, meanGX));
  };
  let output: tf.Tensor4D;
  if (gamma && beta) {
    const op = customOp(([input, g, b], save) => {
      const { xHat, invStd } = normalize(input);
      const scale = tf.mul(g, invStd);
      save([xHat, scale]);
      return {
        value: tf.add(tf.mul(xHat, g), b),
        gradFunc: (dy, [xHatSaved, scaleSaved]) => [
          normalizeGrad(dy, xHatSaved, scaleSaved),
          tf.sum(tf.mul(dy, xHatSaved), axes),
          tf.sum(dy, axes),
        ],
      };
    });
    output = op(x, gamma, beta) as tf.Tensor4D;
  } else {
    const op = customOp(([input], save) => {
      const { xHat, invStd } = normalize(input as tf.Tensor);
      save([xHat, invStd]);
      return {
        value: xHat,
        gradFunc: (dy, [xHatSaved, invStdSaved]) => [
          normalizeGrad(dy, xHatSaved, invStdSaved),
        ],
      };
    });
    output = op(x) as tf.Tensor4D;
  }
  return { output, statistics: statistics! };
}

/**
 * Evaluation-mode batch normalization with the running statistics (`[2C]`:
 * the means, then the variances).
 */
export function batchNormInference(
  x: tf.Tensor4D,
  runningStatistics: tf.Tensor1D,
  gamma?: tf.Tensor1D,
  beta?: tf.Tensor1D,
  epsilon = BATCH_NORM_EPSILON,
): tf.Tensor4D {
  return tf.tidy(() => {
    const [runningMean, runningVariance] = tf.split(runningStatistics, 2);
    const normalized = tf.mul(
      tf.sub(x, runningMean),
      tf.rsqrt(tf.add(runningVariance, epsilon)),
    );
    if (gamma && beta) return tf.add(tf.mul(normalized, gamma), beta);
    return normalized as tf.Tensor4D;
  });
}
