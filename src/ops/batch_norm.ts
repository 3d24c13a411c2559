/**
 * Batch normalization over N, H and W of an NHWC tensor, as PyTorch's
 * `BatchNorm2d`: training mode normalizes with the batch's biased variance and
 * reports the batch statistics (for running averages, which use the unbiased
 * variance); evaluation mode uses the running statistics. The training-mode
 * gradient is one fused custom gradient instead of the many small ops that
 * differentiating `moments` would launch.
 */
import * as tf from "../tf.ts";
import { relu } from "./activation.ts";
import { customOp } from "./custom_gradient.ts";
import { hostLayoutEnabled, hostView } from "./host_layout.ts";
import { type SimdKernels, simdKernels } from "./simd/simd_kernels.ts";
import { webGpuProgramsActive } from "./webgpu/webgpu_programs.ts";
import { batchNormTrainingWebGpu } from "./webgpu/batch_norm_programs.ts";

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
export function batchNormTraining(
  x: tf.Tensor4D,
  gamma?: tf.Tensor1D,
  beta?: tf.Tensor1D,
  epsilon = BATCH_NORM_EPSILON,
): BatchNormResult {
  // On cpu and wasm the host version (one pass per statistic, no kernel
  // launches, double sums) is faster: a C=8/5-layer/batch-32 forward+backward
  // on wasm went from about 3.6 s to about 2.0 s (measured under load).
  if (hostLayoutEnabled()) {
    return batchNormTrainingHost(x, gamma, beta, epsilon);
  }
  // On webgpu, four WGSL dispatches forward and backward (six above 4,096
  // pixels per channel, where the sums are taken in two levels) instead of
  // about 23 tfjs kernels.
  if (webGpuProgramsActive()) {
    return batchNormTrainingWebGpu(x, gamma, beta, epsilon);
  }
  return batchNormTrainingOps(x, gamma, beta, epsilon);
}

/**
 * `relu(batchNormTraining(x))` without γ and β (a batch norm followed by a
 * ReLU, as inside `sep_conv`); on webgpu one program a pass
 * (`batch_norm_fused_programs.ts`), elsewhere the two ops.
 */
export function batchNormReluTraining(
  x: tf.Tensor4D,
  epsilon = BATCH_NORM_EPSILON,
): BatchNormResult {
  if (!hostLayoutEnabled() && webGpuProgramsActive()) {
    return batchNormTrainingWebGpu(x, undefined, undefined, epsilon, true);
  }
  const { output, statistics } = batchNormTraining(
    x,
    undefined,
    undefined,
    epsilon,
  );
  return { output: relu(output), statistics };
}

/**
 * Training-mode batch normalization from tfjs ops, for the backends without
 * kernels of their own for it (tensorflow).
 */
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
  simd.withScratch(4 * channels, (pointer, view) => {
    view().set(coefficients);
    simd.kernels.bn_centered_affine(a, b, out, pointer, pixels, channels);
  });
}

/** Up to this many channels, per-channel strided loops beat pixel-major ones. */
const STRIDED_CHANNELS = 8;

/** Per-channel sums of `values` (NHWC, `channels` innermost), in doubles. */
function channelSums(
  values: Float32Array,
  channels: number,
  centre?: Float64Array,
  weights?: Float32Array,
): Float64Array {
  const sums = new Float64Array(channels);
  const size = values.length;
  // Few channels: one strided pass per channel keeps the sum in a register
  // (measured 1.45 against 2.07 ns per element at 4 channels); many: one pass,
  // which reads each cache line once.
  if (channels <= STRIDED_CHANNELS) {
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      const m = centre ? centre[c] : 0;
      if (weights) {
        for (let i = c; i < size; i += channels) {
          sum += weights[i] * (values[i] - m);
        }
      } else if (centre) {
        for (let i = c; i < size; i += channels) {
          const d = values[i] - m;
          sum += d * d;
        }
      } else {
        for (let i = c; i < size; i += channels) sum += values[i];
      }
      sums[c] = sum;
    }
    return sums;
  }
  if (weights) {
    for (let i = 0; i < size; i += channels) {
      for (let c = 0; c < channels; c++) {
        sums[c] += weights[i + c] * (values[i + c] - centre![c]);
      }
    }
  } else if (centre) {
    for (let i = 0; i < size; i += channels) {
      for (let c = 0; c < channels; c++) {
        const d = values[i + c] - centre[c];
        sums[c] += d * d;
      }
    }
  } else {
    for (let i = 0; i < size; i += channels) {
      for (let c = 0; c < channels; c++) sums[c] += values[i + c];
    }
  }
  return sums;
}

/** `out[i] = a[i]·scale[c] + shift[c]` (+ `b[i]·scaleB[c]` when given), NHWC. */
function channelAffine(
  a: Float32Array,
  scale: Float64Array,
  shift: Float64Array,
  out: Float32Array,
  b?: Float32Array,
  scaleB?: Float64Array,
): void {
  const channels = scale.length;
  const size = a.length;
  if (channels <= STRIDED_CHANNELS) {
    for (let c = 0; c < channels; c++) {
      const s = scale[c];
      const t = shift[c];
      if (b) {
        const sb = scaleB![c];
        for (let i = c; i < size; i += channels) {
          out[i] = a[i] * s + b[i] * sb + t;
        }
      } else {
        for (let i = c; i < size; i += channels) out[i] = a[i] * s + t;
      }
    }
    return;
  }
  if (b) {
    for (let i = 0; i < size; i += channels) {
      for (let c = 0; c < channels; c++) {
        out[i + c] = a[i + c] * scale[c] + b[i + c] * scaleB![c] + shift[c];
      }
    }
  } else {
    for (let i = 0; i < size; i += channels) {
      for (let c = 0; c < channels; c++) {
        out[i + c] = a[i + c] * scale[c] + shift[c];
      }
    }
  }
}

/**
 * Training-mode batch normalization on the host (cpu and wasm backends), with
 * PyTorch's CPU formulas and double-precision sums:
 * `dx = (dy − (x − μ)·σ⁻²·Σ(dy·(x − μ))/N − Σdy/N) · σ⁻¹ · γ`. With few samples
 * per channel (an auxiliary head's 1x1 maps at batch 2) this difference cancels
 * almost completely, and float32 sums then lose the gradient's leading digits.
 * It reads tensors in place (no copies) and keeps only the input for the
 * backward pass: a host batch norm took about 25 ns per element forward and
 * backward, about half of it in copies. On wasm, for channel counts divisible
 * by 4, it runs as SIMD kernels: the same double sums and double element-wise
 * maps, each output rounded to float32 once.
 */
export function batchNormTrainingHost(
  x: tf.Tensor4D,
  gamma?: tf.Tensor1D,
  beta?: tf.Tensor1D,
  epsilon = BATCH_NORM_EPSILON,
): BatchNormResult {
  const channels = x.shape[3];
  const size = x.size;
  const pixels = size / channels;
  let statistics: tf.Tensor1D | undefined;
  const inputs = gamma && beta ? [x, gamma, beta] : [x];
  const simd = simdKernels();
  if (simd !== null && channels % 4 === 0) {
    const op = customOp((tensors, save) => {
      save([tensors[0]]);
      const g = tensors.length > 1
        ? tensors[1].dataSync() as Float32Array
        : null;
      const b = tensors.length > 1
        ? tensors[2].dataSync() as Float32Array
        : null;
      const out = simd.allocate(x.shape);
      const xPointer = simd.pointer(tensors[0]);
      const stats = simd.withScratch(2 * channels, (pointer, view) => {
        simd.kernels.bn_moments(xPointer, pointer, pixels, channels);
        return Float64Array.from(view());
      });
      const mu = stats.subarray(0, channels);
      const varianceValues = stats.subarray(channels);
      const invStd = new Float64Array(channels);
      // [mean, scale, 0, shift] per channel: out = (x − mean)·scale + shift.
      const coefficients = new Float64Array(4 * channels);
      for (let c = 0; c < channels; c++) {
        invStd[c] = 1 / Math.sqrt(varianceValues[c] + epsilon);
        coefficients[c] = mu[c];
        coefficients[channels + c] = invStd[c] * (g ? g[c] : 1);
        coefficients[3 * channels + c] = b ? b[c] : 0;
      }
      centeredAffine(simd, xPointer, 0, out.pointer, coefficients, pixels);
      statistics = tf.keep(tf.tensor1d(Float32Array.from(stats)));
      return {
        value: out.tensor,
        gradFunc: (dy, saved) => {
          const dx = simd.allocate(x.shape);
          const upstream = simd.pointer(dy);
          const xSaved = simd.pointer(saved[0]);
          // sums[c] = Σ dy, sums[channels + c] = Σ dy·(x − μ).
          const sums = simd.withScratch(3 * channels, (pointer, view) => {
            view().set(mu);
            simd.kernels.bn_backward_sums(
              upstream,
              xSaved,
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
            dxCoefficients[c] = mu[c];
            dxCoefficients[channels + c] = -projection * outScale;
            dxCoefficients[2 * channels + c] = outScale;
            dxCoefficients[3 * channels + c] = -(sumDy / pixels) * outScale;
          }
          centeredAffine(
            simd,
            xSaved,
            upstream,
            dx.pointer,
            dxCoefficients,
            pixels,
          );
          const grads: tf.Tensor[] = [dx.tensor];
          if (g) {
            grads.push(
              tf.tensor1d(
                Float32Array.from(
                  sums.subarray(channels),
                  (v, c) => v * invStd[c],
                ),
              ),
            );
            grads.push(
              tf.tensor1d(Float32Array.from(sums.subarray(0, channels))),
            );
          }
          return grads;
        },
      };
    });
    const output = op(...inputs) as tf.Tensor4D;
    return { output, statistics: statistics! };
  }
  const op = customOp((tensors, save) => {
    save([tensors[0]]);
    const g = tensors.length > 1 ? tensors[1].dataSync() as Float32Array : null;
    const b = tensors.length > 1 ? tensors[2].dataSync() as Float32Array : null;
    // A view: read it completely before the next tensor is allocated.
    const data = hostView(tensors[0]);
    const mu = channelSums(data, channels);
    for (let c = 0; c < channels; c++) mu[c] /= pixels;
    const varianceValues = channelSums(data, channels, mu);
    const invStd = new Float64Array(channels);
    const scale = new Float64Array(channels);
    const shift = new Float64Array(channels);
    for (let c = 0; c < channels; c++) {
      varianceValues[c] /= pixels;
      invStd[c] = 1 / Math.sqrt(varianceValues[c] + epsilon);
      scale[c] = invStd[c] * (g ? g[c] : 1);
      shift[c] = (b ? b[c] : 0) - mu[c] * scale[c];
    }
    const out = new Float32Array(size);
    channelAffine(data, scale, shift, out);
    const both = new Float32Array(2 * channels);
    both.set(mu);
    both.set(varianceValues, channels);
    statistics = tf.keep(tf.tensor1d(both));
    return {
      value: tf.tensor4d(out, x.shape),
      gradFunc: (dy, saved) => {
        // Views again: both are read before anything is allocated.
        const up = hostView(dy);
        const xs = hostView(saved[0]);
        const sumDy = channelSums(up, channels);
        const sumDyCentered = channelSums(xs, channels, mu, up);
        // dx = dy·outScale − x·xScale + dxShift, per channel.
        const outScale = new Float64Array(channels);
        const xScale = new Float64Array(channels);
        const dxShift = new Float64Array(channels);
        for (let c = 0; c < channels; c++) {
          const projection = (invStd[c] * invStd[c] * sumDyCentered[c]) /
            pixels;
          outScale[c] = invStd[c] * (g ? g[c] : 1);
          xScale[c] = -projection * outScale[c];
          dxShift[c] = (mu[c] * projection - sumDy[c] / pixels) * outScale[c];
        }
        const dx = new Float32Array(size);
        channelAffine(up, outScale, dxShift, dx, xs, xScale);
        const grads: tf.Tensor[] = [tf.tensor4d(dx, x.shape)];
        if (g) {
          grads.push(
            tf.tensor1d(
              Float32Array.from(sumDyCentered, (v, c) => v * invStd[c]),
            ),
          );
          grads.push(tf.tensor1d(Float32Array.from(sumDy)));
        }
        return grads;
      },
    };
  });
  const output = op(...inputs) as tf.Tensor4D;
  return { output, statistics: statistics! };
}
