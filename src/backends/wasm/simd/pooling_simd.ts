/**
 * The wasm backend's pooling kernels on its heap: the max-pool input gradient
 * (PyTorch's first maximum), and the average pool without the padding in the
 * count, forward and gradient (no padded copy, no count correction, no spread
 * gradient).
 */
import type * as tf from "../../../tf.ts";
import { customOp } from "../../../ops/custom_gradient.ts";
import { outputSize } from "../../../ops/spatial.ts";
import { maxPoolWasm } from "../../host_kernels/pooling_host.ts";
import type { KernelExports, SimdKernels } from "./simd_kernels.ts";

/** The max pool with the SIMD input gradient. */
export function maxPoolSimd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  kernel: number,
  stride: number,
  padding: number,
): tf.Tensor4D {
  return maxPoolWasm(
    x,
    kernel,
    stride,
    padding,
    (input, dy) => maxPoolGradSimd(simd, input, dy, kernel, stride, padding),
  );
}

function maxPoolGradSimd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kernel: number,
  stride: number,
  padding: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [, outH, outW] = dy.shape;
  const dx = simd.allocate(x.shape);
  const kernelFunction = c % 4 === 0
    ? simd.kernels.maxpool_grad_v
    : simd.kernels.maxpool_grad_s;
  kernelFunction(
    simd.pointer(x),
    simd.pointer(dy),
    dx.pointer,
    n,
    h,
    w,
    c,
    outH,
    outW,
    kernel,
    stride,
    padding,
  );
  return dx.tensor as tf.Tensor4D;
}

/** `avgPool` (padding left out of the count) as SIMD kernels both ways. */
export function averagePoolSimd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  kernel: number,
  stride: number,
  padding: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const outH = outputSize(h, kernel, stride, padding);
  const outW = outputSize(w, kernel, stride, padding);
  const vector = c % 4 === 0;
  const run = (
    kernelFunction: KernelExports["avgpool_forward_v"],
    from: tf.Tensor,
    shape: number[],
  ) => {
    const out = simd.allocate(shape);
    kernelFunction(
      simd.pointer(from),
      out.pointer,
      n,
      h,
      w,
      c,
      outH,
      outW,
      kernel,
      stride,
      padding,
    );
    return out.tensor;
  };
  const op = customOp(([input]) => ({
    value: run(
      vector ? simd.kernels.avgpool_forward_v : simd.kernels.avgpool_forward_s,
      input,
      [n, outH, outW, c],
    ),
    gradFunc: (dy) => [
      run(
        vector ? simd.kernels.avgpool_grad_v : simd.kernels.avgpool_grad_s,
        dy,
        [n, h, w, c],
      ),
    ],
  }));
  return op(x) as tf.Tensor4D;
}
