/**
 * Registers our ops' kernels for a backend when it starts (`initBackend`):
 * wasm its SIMD kernels, then the host ones; cpu the host ones; webgpu its
 * WGSL programs; and every backend whose tfjs build has a kernel we use
 * directly (`Conv2DBackpropFilter`) that kernel, after its own.
 */
import * as tf from "../tf.ts";
import { conv2dFilterGradient } from "./conv2d.ts";
import { registerHostOpKernels } from "./host/register_host_kernels.ts";
import { registerOpKernel } from "./op_kernels.ts";
import { registerSimdOpKernels } from "./simd/register_simd_kernels.ts";
import { registerWebGpuOpKernels } from "./webgpu/register_webgpu_kernels.ts";

const registered = new Set<string>();

/** Registers the kernels for the backend named `backend` (once). */
export function registerBackendOpKernels(backend: string): void {
  if (registered.has(backend)) return;
  registered.add(backend);
  if (backend === "wasm") {
    registerSimdOpKernels();
    registerHostOpKernels("wasm");
  }
  if (backend === "cpu") registerHostOpKernels("cpu");
  if (backend === "webgpu") registerWebGpuOpKernels();
  if (tf.getKernel("Conv2DBackpropFilter", backend) !== undefined) {
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
}
