/**
 * The running statistics' update of batch norm, PyTorch's way: `running ←
 * (1 − m)·running + m·batch`, the variance half of `batch` scaled by
 * `correction` (n / (n − 1): the unbiased variance). `[2C]` tensors: means,
 * then variances. Portable: tfjs ops; the webgpu backend registers one
 * dispatch a group of batch norms, in place.
 */
import * as tf from "../tf.ts";
import { defineOp } from "./op_kernels.ts";

/** One batch norm's part of {@linkcode runningAverages}. */
export interface RunningAverageItem {
  /** The running statistics `[2C]`, updated in place. */
  running: tf.Variable;
  /** The batch statistics `[2C]`. */
  batch: tf.Tensor;
  /** n / (n − 1) for the variances. */
  correction: number;
}

/** The updated running statistics (a new tensor). */
export const runningAverage = defineOp(
  "runningAverage",
  (
    running: tf.Tensor,
    batch: tf.Tensor,
    momentum: number,
    correction: number,
  ): tf.Tensor =>
    tf.tidy(() => {
      const channels = batch.size / 2;
      const weights = new Float32Array(2 * channels).fill(momentum);
      weights.fill(momentum * correction, channels);
      return tf.add(tf.mul(running, 1 - momentum), tf.mul(batch, weights));
    }),
);

/** Updates every item's running statistics (the variables themselves). */
export const runningAverages = defineOp(
  "runningAverages",
  (items: RunningAverageItem[], momentum: number): void => {
    tf.tidy(() => {
      for (const { running, batch, correction } of items) {
        running.assign(runningAverage(running, batch, momentum, correction));
      }
    });
  },
);
