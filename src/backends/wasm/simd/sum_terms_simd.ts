/**
 * `sumTermsInOrder` on the wasm heap: `((0 + t₀) + t₁) + …`, tfjs' `AddN` order
 * (the same bits), as one `sum2` pass for the first two terms and an `axpy`
 * with weight 1 for each other; both split across the kernel workers.
 */
import * as tf from "../../../tf.ts";
import { customOp } from "../../../ops/custom_gradient.ts";
import { PASS } from "../../../ops/op_kernels.ts";
import type { SimdKernels } from "./simd_kernels.ts";

/** The sum of two or more same-shape float32 terms (others: tfjs' `AddN`). */
export function sumTermsSimd(
  simd: SimdKernels,
  terms: tf.Tensor[],
): tf.Tensor | typeof PASS {
  if (terms.some((t) => t.dtype !== "float32")) return PASS;
  const { shape, size } = terms[0];
  const op = customOp((inputs) => {
    const out = simd.allocate(shape);
    simd.kernels.sum2(
      simd.pointer(inputs[0]),
      simd.pointer(inputs[1]),
      out.pointer,
      size,
    );
    for (const term of inputs.slice(2)) {
      simd.kernels.axpy(simd.pointer(term), out.pointer, size, 1);
    }
    return {
      value: out.tensor,
      gradFunc: (dy) => inputs.map(() => tf.clone(dy)),
    };
  });
  return op(...terms);
}
