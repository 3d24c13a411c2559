/**
 * Choosing and starting a TensorFlow.js backend, and describing the device for
 * reports. The backends themselves are units in `table.ts`; `auto` starts
 * tensorflow if it loads, else webgpu on a hardware GPU, else wasm.
 */
import * as tf from "../tf.ts";
import { installGradientTapePasses } from "../ops/gradient_tape.ts";
import { registerCommonKernels } from "./common_kernels.ts";
import { describeHost } from "./host_cpu.ts";
import { autoBackend, BACKENDS, backendUnit } from "./backend_table.ts";

export { describeHost } from "./host_cpu.ts";
export { type BackendName, BACKENDS } from "./backend_table.ts";
export { probeWebGpu, type WebGpuAdapterInfo } from "./webgpu/adapter.ts";

/** The backend in use and the device it runs on. */
export interface BackendInfo {
  /** The tfjs backend name (`cpu` and the others `--backend` takes). */
  name: string;
  /** One line describing the device (see {@linkcode describeDevice}). */
  device: string;
  /** Whether the backend computes on a GPU. */
  gpu: boolean;
}

function hostLine(): string {
  const host = describeHost();
  return `${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB`;
}

/**
 * One line describing where the active backend computes: the GPU adapter for
 * webgpu, and the CPU model, cores and memory in every case.
 */
export function describeDevice(backend = tf.getBackend()): Promise<string> {
  return backendUnit(backend).describeDevice(hostLine());
}

/**
 * Starts the requested backend (see the module docs for `auto`). Throws a clear
 * error for an unknown name, a missing tensorflow package, or no WebGPU adapter.
 *
 * @example
 * ```ts
 * import { initBackend } from "./mod.ts";
 * const backend = await initBackend("auto");
 * console.log(`${backend.name} on ${backend.device}`);
 * ```
 */
export async function initBackend(requested: string): Promise<BackendInfo> {
  if (!BACKENDS.includes(requested)) {
    throw new Error(
      `unknown backend "${requested}"; choose one of ${BACKENDS.join(", ")}`,
    );
  }
  // Silence tfjs' "install tfjs-node" advice and debug-only warnings.
  tf.env().set("PROD", true);
  const unit = requested === "auto"
    ? await autoBackend()
    : backendUnit(requested);
  await unit.load();
  const ok = await tf.setBackend(unit.name);
  if (!ok) throw new Error(`the ${unit.name} backend failed to initialise`);
  await tf.ready();
  installGradientTapePasses();
  await unit.prepare();
  registerCommonKernels(unit.name);
  return {
    name: unit.name,
    device: await unit.describeDevice(hostLine()),
    gpu: await unit.onGpu(),
  };
}
