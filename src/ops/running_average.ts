/**
 * The running statistics' update of batch norm, PyTorch's way: `running ←
 * (1 − m)·running + m·batch`, the variance half of `batch` scaled by
 * `correction` (n / (n − 1): the unbiased variance). `[2C]` tensors: means,
 * then variances. On webgpu a group of batch norms a dispatch, in place;
 * tfjs ops elsewhere.
 */
import * as tf from "../tf.ts";
import { webGpuProgramsActive } from "./webgpu/webgpu_programs.ts";
import { runningAverageWebGpu } from "./webgpu/batch_norm_programs.ts";
import {
  type RunningAverageItem,
  runningAveragesWebGpu,
} from "./webgpu/running_average_program.ts";

export type { RunningAverageItem };

/** The updated running statistics (a new tensor). */
export function runningAverage(
  running: tf.Tensor,
  batch: tf.Tensor,
  momentum: number,
  correction: number,
): tf.Tensor {
  if (webGpuProgramsActive()) {
    return runningAverageWebGpu(running, batch, momentum, correction);
  }
  return tf.tidy(() => {
    const channels = batch.size / 2;
    const weights = new Float32Array(2 * channels).fill(momentum);
    weights.fill(momentum * correction, channels);
    return tf.add(tf.mul(running, 1 - momentum), tf.mul(batch, weights));
  });
}

/** Updates every item's running statistics (the variables themselves). */
export function runningAverages(
  items: RunningAverageItem[],
  momentum: number,
): void {
  const rest = webGpuProgramsActive()
    ? runningAveragesWebGpu(items, momentum)
    : items;
  tf.tidy(() => {
    for (const { running, batch, correction } of rest) {
      running.assign(runningAverage(running, batch, momentum, correction));
    }
  });
}
