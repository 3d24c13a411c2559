/**
 * The wasm backend's pooling kernels on its heap: the max pool (its input
 * gradient to PyTorch's first maximum), and the average pool without the
 * padding in the count, forward and gradient (no padded copy, no count
 * correction, no spread gradient).
 */
import type * as tf from "../../../tf.ts";
import { customOp } from "../../../ops/custom_gradient.ts";
import { outputSize } from "../../../ops/spatial.ts";
import type { KernelExports, SimdKernels } from "./simd_kernels.ts";

/**
 * The max pool as SIMD kernels both ways: the forward's maxima are exact (the
 * values tfjs' own kernel gives), the gradient goes to each window's first
 * maximum.
 */
export function maxPoolSimd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  kernel: number,
  stride: number,
  padding: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const outH = outputSize(h, kernel, stride, padding);
  const outW = outputSize(w, kernel, stride, padding);
  const op = customOp(([input], save) => {
    const out = simd.allocate([n, outH, outW, c]);
    const forward = c % 4 === 0
      ? simd.kernels.maxpool_forward_v
      : simd.kernels.maxpool_forward_s;
    forward(
      simd.pointer(input),
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
    save([input]);
    return {
      value: out.tensor,
      gradFunc: (dy, [saved]) => [
        maxPoolGradSimd(
          simd,
          saved as tf.Tensor4D,
          dy as tf.Tensor4D,
          kernel,
          stride,
          padding,
        ),
      ],
    };
  });
  return op(x) as tf.Tensor4D;
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
