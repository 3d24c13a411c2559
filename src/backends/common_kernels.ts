/**
 * Kernels of ours that any backend gets when its tfjs build has the kernel
 * they call directly: the convolution's filter gradient, `Conv2DBackpropFilter`.
 */
import * as tf from "../tf.ts";
import { conv2dFilterGradient } from "../ops/conv2d.ts";
import { registerOpKernel } from "../ops/op_kernels.ts";

const registered = new Set<string>();

/** Registers the common kernels for the backend named `backend` (once). */
export function registerCommonKernels(backend: string): void {
  if (registered.has(backend)) return;
  registered.add(backend);
  if (tf.getKernel("Conv2DBackpropFilter", backend) === undefined) return;
  registerOpKernel(
    conv2dFilterGradient,
    backend,
    (x, dy, filterShape, stride, padding) =>
      tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
        strides: [stride, stride],
        pad: padding,
        dataFormat: "NHWC",
        filterShape,
      }) as tf.Tensor4D,
  );
}
