/**
 * The squared global norm `Σₜ Σᵢ tᵢ²` of many tensors (a network's gradients),
 * as one scalar tensor. The per-tensor sums are joined with `concat` and
 * summed, not added with `addN`: tfjs' webgpu AddN binds every input at once,
 * and above seven inputs WebGPU rejects the pipeline (eight storage buffers per
 * stage), which leaves a garbage sum and no exception; its Concat splits.
 * On webgpu a chain of our programs computes it (`webgpu/squared_norm_program.ts`).
 */
import * as tf from "../tf.ts";
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
