/** ReLU as the wasm backend's SIMD kernels, one pass each way. */
import type * as tf from "../../../tf.ts";
import { customOp } from "../../../ops/custom_gradient.ts";
import { PASS } from "../../../ops/op_kernels.ts";
import type { SimdKernels } from "./simd_kernels.ts";

/** `max(x, 0)` and its gradient on the heap (float32 only). */
export function reluSimd<T extends tf.Tensor>(
  simd: SimdKernels,
  x: T,
): T | typeof PASS {
  if (x.dtype !== "float32") return PASS;
  const op = customOp(([input], save) => {
    save([input]);
    const out = simd.allocate(input.shape);
    simd.kernels.relu(simd.pointer(input), out.pointer, input.size);
    return {
      value: out.tensor,
      gradFunc: (dy, [saved]) => {
        const dx = simd.allocate(saved.shape);
        simd.kernels.relu_grad(
          simd.pointer(saved),
          simd.pointer(dy),
          dx.pointer,
          saved.size,
        );
        return [dx.tensor];
      },
    };
  });
  return op(x) as T;
}
