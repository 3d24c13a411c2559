/**
 * The `webgpu` backend: Deno's built-in WebGPU (Vulkan, Metal, D3D12; lavapipe
 * on a CPU) with this project's WGSL programs, batched submission and reused
 * bind groups; GPU errors are watched, since WebGPU reports them as events.
 */
import "@tensorflow/tfjs-backend-webgpu";
import type { BackendUnit } from "../backend_unit.ts";
import { probeWebGpu } from "./adapter.ts";
import { installBatchedSubmission } from "./batched_submission.ts";
import { installBindGroupReuse } from "./bind_group_reuse.ts";
import {
  takeWebGpuErrors,
  throwOnWebGpuErrors,
  watchWebGpuErrors,
} from "./errors.ts";
import { gpuTimeByProgram } from "./gpu_time.ts";
import { registerWebGpuOpKernels } from "./register_webgpu_kernels.ts";
import { registerWebGpuDevice } from "./webgpu_device.ts";
import { programDispatchCount } from "./webgpu_programs.ts";
import { gpuDispatchCount } from "./dispatch_count.ts";
import "./webgpu_options.ts";

let kernelsRegistered = false;

/** What to do without an adapter. */
const NO_ADAPTER_HINT =
  "On Linux install a Vulkan driver (apt-get install mesa-vulkan-drivers gives the lavapipe CPU driver), or choose --backend wasm";

/** The webgpu backend. */
export const WEBGPU_BACKEND: BackendUnit = {
  name: "webgpu",
  summary:
    "Deno's WebGPU (Vulkan, Metal, D3D12; lavapipe on a CPU) with our WGSL programs",
  autoRank: 1,
  async availability() {
    const adapter = await probeWebGpu();
    return {
      available: adapter.available,
      reason: adapter.available
        ? adapter.description
        : `${adapter.description}. ${NO_ADAPTER_HINT}`,
    };
  },
  async autoWorthy() {
    return !(await probeWebGpu()).software;
  },
  async load() {
    const adapter = await probeWebGpu();
    if (!adapter.available) {
      throw new Error(
        `the webgpu backend has no adapter: ${adapter.description}. ${NO_ADAPTER_HINT}`,
      );
    }
    await registerWebGpuDevice();
  },
  prepare() {
    if (!kernelsRegistered) registerWebGpuOpKernels();
    kernelsRegistered = true;
    watchWebGpuErrors();
    installBatchedSubmission();
    installBindGroupReuse();
    return Promise.resolve();
  },
  async onGpu() {
    return !(await probeWebGpu()).software;
  },
  async describeDevice(host) {
    const adapter = await probeWebGpu();
    return `${adapter.description}${
      adapter.software ? " (software)" : ""
    } via WebGPU; host ${host}`;
  },
  // WebGPU does not say how much memory the device has.
  memory: {
    capacityBytes: () => null,
    describe: () => "the device's memory is not known",
  },
  takeErrors: takeWebGpuErrors,
  throwOnErrors: throwOnWebGpuErrors,
  programDispatchCount,
  gpuDispatchCount,
  gpuTimeByProgram,
};
