/**
 * The squared global norm `Σₜ Σᵢ tᵢ²` of many tensors (a network's gradients),
 * as one scalar tensor. The per-tensor sums are joined with `concat` and
 * summed, not added with `addN`: tfjs' webgpu AddN binds every input at once,
 * and above seven inputs WebGPU rejects the pipeline (eight storage buffers per
 * stage), which leaves a garbage sum and no exception; its Concat splits.
 * On webgpu a chain of our programs computes it (`webgpu/squared_norm_program.ts`).
 */
import * as tf from "../tf.ts";
import { hostLayoutEnabled } from "./host_layout.ts";
import { webGpuProgramsActive } from "./webgpu/webgpu_programs.ts";
import { squaredNormWebGpu } from "./webgpu/squared_norm_program.ts";

/** `Σ ‖t‖²` over `tensors` (at least one). */
export function squaredNorm(tensors: tf.Tensor[]): tf.Scalar {
  if (webGpuProgramsActive()) {
    return tf.tidy(() => tf.reshape(squaredNormWebGpu(tensors), []));
  }
  return tf.tidy(() =>
    tf.sum(
      tf.concat(tensors.map((t) => tf.reshape(tf.sum(tf.square(t)), [1]))),
    )
  );
}

/**
 * `√(Σ ‖t‖²)` as a number: on cpu and wasm summed on the host in doubles (no
 * kernels), elsewhere from {@linkcode squaredNorm}.
 */
export async function globalNorm(tensors: tf.Tensor[]): Promise<number> {
  if (hostLayoutEnabled()) {
    let squares = 0;
    for (const t of tensors) {
      const values = t.dataSync() as Float32Array;
      for (let i = 0; i < values.length; i++) squares += values[i] * values[i];
    }
    return Math.sqrt(squares);
  }
  const total = tf.tidy(() => tf.sqrt(squaredNorm(tensors)));
  const norm = (await total.data())[0];
  total.dispose();
  return norm;
}
