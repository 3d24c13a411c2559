/** ReLU as the wasm backend's SIMD kernels, one pass each way. */
import type * as tf from "../../../tf.ts";
import { customOp } from "../../../ops/custom_gradient.ts";
import { PASS } from "../../../ops/op_kernels.ts";
import type { SimdKernels } from "./simd_kernels.ts";

/** ReLU's two passes on the heap (float32), each into a new tensor. */
export interface ReluPasses {
  /** `max(x, 0)`. */
  forward(x: tf.Tensor): tf.Tensor;
  /** `dy` where `x > 0`, else 0. */
  backward(x: tf.Tensor, dy: tf.Tensor): tf.Tensor;
}

/** {@linkcode ReluPasses} by the SIMD kernels. */
export function reluPasses(simd: SimdKernels): ReluPasses {
  return {
    forward: (x) => {
      const out = simd.allocate(x.shape);
      simd.kernels.relu(simd.pointer(x), out.pointer, x.size);
      return out.tensor;
    },
    backward: (x, dy) => {
      const dx = simd.allocate(x.shape);
      simd.kernels.relu_grad(
        simd.pointer(x),
        simd.pointer(dy),
        dx.pointer,
        x.size,
      );
      return dx.tensor;
    },
  };
}

/** `max(x, 0)` and its gradient on the heap (float32 only). */
export function reluSimd<T extends tf.Tensor>(
  simd: SimdKernels,
  x: T,
): T | typeof PASS {
  if (x.dtype !== "float32") return PASS;
  const passes = reluPasses(simd);
  const op = customOp(([input], save) => {
    save([input]);
    return {
      value: passes.forward(input),
      gradFunc: (dy, [saved]) => [passes.backward(saved, dy)],
    };
  });
  return op(x) as T;
}
