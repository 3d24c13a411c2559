/**
 * The squared global norm `Σₜ Σᵢ tᵢ²` of many tensors (a network's gradients),
 * as one scalar tensor, and the global norm as a number. Portable: the
 * per-tensor sums joined with `concat` and summed, not added with `addN`:
 * tfjs' webgpu AddN binds every input at once, and above seven inputs WebGPU
 * rejects the pipeline (eight storage buffers per stage), which leaves a
 * garbage sum and no exception; its Concat splits. The webgpu backend
 * registers a chain of our programs, cpu and wasm a sum on the host in doubles.
 */
import * as tf from "../tf.ts";
import { defineOp } from "./op_kernels.ts";

/** `Σ ‖t‖²` over `tensors` (at least one). */
export const squaredNorm = defineOp(
  "squaredNorm",
  (tensors: tf.Tensor[]): tf.Scalar =>
    tf.tidy(() =>
      tf.sum(
        tf.concat(tensors.map((t) => tf.reshape(tf.sum(tf.square(t)), [1]))),
      )
    ),
);

/** `√(Σ ‖t‖²)` over `tensors` as a number. */
export const globalNorm = defineOp(
  "globalNorm",
  async (tensors: tf.Tensor[]): Promise<number> => {
    const total = tf.tidy(() => tf.sqrt(squaredNorm(tensors)));
    const norm = (await total.data())[0];
    total.dispose();
    return norm;
  },
);
