/**
 * ReLU, on the wasm backend as one SIMD kernel each way (tfjs' gradient is a
 * `Step` and a `Multiply`: two passes and a temporary), on webgpu with a
 * one-dispatch gradient; elsewhere `tf.relu`.
 */
import * as tf from "../tf.ts";
import { customOp } from "./custom_gradient.ts";
import { simdKernels } from "./simd/simd_kernels.ts";
import { webGpuProgramsActive } from "./webgpu/webgpu_programs.ts";
import { reluWebGpu } from "./webgpu/relu_programs.ts";

/** `max(x, 0)`, with the gradient passed where `x > 0`. */
export function relu<T extends tf.Tensor>(x: T): T {
  if (x.dtype === "float32" && webGpuProgramsActive()) return reluWebGpu(x);
  const simd = simdKernels();
  if (simd === null || x.dtype !== "float32") return tf.relu(x);
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
