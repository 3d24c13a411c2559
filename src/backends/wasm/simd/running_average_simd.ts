/**
 * Batch norm's running statistics on the wasm backend: each update in place,
 * three SIMD calls (`running ·= 1 − m`, then `+= m·batch` over the means and
 * `+= m·correction·batch` over the variances) instead of three tfjs kernels
 * and a new tensor. The same float32 roundings as the portable op's `running ·
 * (1 − m) + batch · weights`: each product rounded, then the sum.
 */
import * as tf from "../../../tf.ts";
import {
  runningAverage,
  type RunningAverageItem,
} from "../../../ops/running_average.ts";
import type { SimdKernels } from "./simd_kernels.ts";

/** `runningAverages` on wasm; items it cannot write in place go the portable way. */
export function runningAveragesSimd(
  simd: SimdKernels,
  items: RunningAverageItem[],
  momentum: number,
): void {
  // In order: a batch norm met twice sees its first update.
  for (const { running, batch, correction } of items) {
    if (
      running.dtype !== "float32" || batch.dtype !== "float32" ||
      !simd.exclusive(running)
    ) {
      tf.tidy(() =>
        running.assign(runningAverage(running, batch, momentum, correction))
      );
      continue;
    }
    const channels = batch.size / 2;
    const r = simd.pointer(running);
    const b = simd.pointer(batch);
    simd.kernels.scale(r, r, 2 * channels, 1 - momentum);
    simd.kernels.axpy(b, r, channels, momentum);
    simd.kernels.axpy(
      b + 4 * channels,
      r + 4 * channels,
      channels,
      momentum * correction,
    );
  }
}
