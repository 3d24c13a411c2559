/**
 * Choosing and starting a TensorFlow.js backend, and describing the device for
 * reports.
 *
 * - `tensorflow`: `@tensorflow/tfjs-node-gpu` (CUDA) or `@tensorflow/tfjs-node`,
 *   loaded only when asked for (or tried by `auto`); they are not dependencies of
 *   this module because their install step downloads libtensorflow.
 * - `webgpu`: Deno's built-in WebGPU (Vulkan, Metal, D3D12; lavapipe on a CPU).
 * - `wasm`: XNNPACK through WebAssembly; the fastest CPU backend here.
 * - `cpu`: plain JavaScript, the slow reference.
 * - `auto`: tensorflow if it loads, else webgpu on a hardware GPU, else wasm.
 */
import os from "node:os";
import util from "node:util";
import * as tf from "./tf.ts";
import "@tensorflow/tfjs-backend-cpu";
import "@tensorflow/tfjs-backend-wasm";
import { prepareSimdKernels } from "./ops/simd/simd_kernels.ts";
import { watchWebGpuErrors } from "./webgpu_errors.ts";
import { installBatchedSubmission } from "./ops/webgpu/batched_submission.ts";
import { installBindGroupReuse } from "./ops/webgpu/bind_group_reuse.ts";
import { registerWebGpuDevice } from "./ops/webgpu/webgpu_device.ts";
import { installGradientTapePasses } from "./ops/gradient_tape.ts";
import { registerBackendOpKernels } from "./ops/register_backend_kernels.ts";
import "@tensorflow/tfjs-backend-webgpu";
import {
  builtPackage,
  packagePaths,
  TENSORFLOW_PACKAGES,
  type TensorflowPackage,
} from "./tensorflow/package.ts";
import { pathExists } from "./path_exists.ts";
import { executionOptions } from "./execution_options.ts";
import { useThreadedWasm } from "./backends/wasm/threaded_build.ts";
import { registerExplicitPaddingKernels } from "./ops/tensorflow/explicit_padding_kernels.ts";

/** The backends that can be asked for. */
export const BACKENDS = [
  "auto",
  "tensorflow",
  "webgpu",
  "wasm",
  "cpu",
] as const;

/** One of {@linkcode BACKENDS}. */
export type BackendName = typeof BACKENDS[number];

/** The backend in use and the device it runs on. */
export interface BackendInfo {
  /** The tfjs backend name (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  name: string;
  /** One line describing the device (see {@linkcode describeDevice}). */
  device: string;
  /** Whether the backend computes on a GPU. */
  gpu: boolean;
}

/** How to get the tensorflow backend, for error messages. */
export const TENSORFLOW_INSTALL_HINT =
  "set it up with `deno task setup tensorflow` (builds tfjs-node's binding against the TensorFlow C library from pip's tensorflow-cpu wheel, or from --lib-dir DIR; see docs/backends.md), or choose --backend webgpu|wasm|cpu";

/**
 * tfjs-node calls `util.isNullOrUndefined`, which Node removed and Deno's
 * `node:util` lacks; it must exist before tfjs-node loads.
 */
function shimNodeUtil(): void {
  const u = util as unknown as Record<string, unknown>;
  u.isNullOrUndefined ??= (x: unknown) => x === null || x === undefined;
}

let tensorflowLoad:
  | Promise<{ loaded?: TensorflowPackage; reasons: string[] }>
  | undefined;

/**
 * Loads tfjs-node(-gpu) once per process; returns the reasons when neither
 * loads. TensorFlow's library must be loaded before a Vulkan driver: loaded
 * after lavapipe (both bring LLVM) it crashed the process, so
 * {@linkcode probeWebGpu} loads it first wherever it is set up.
 */
function loadTensorflow(): Promise<
  { loaded?: TensorflowPackage; reasons: string[] }
> {
  tensorflowLoad ??= loadTensorflowOnce();
  return tensorflowLoad;
}

async function loadTensorflowOnce(): Promise<
  { loaded?: TensorflowPackage; reasons: string[] }
> {
  const reasons: string[] = [];
  for (const specifier of TENSORFLOW_PACKAGES) {
    const paths = packagePaths(specifier);
    if (paths === null) {
      reasons.push(`${specifier} is not installed`);
      continue;
    }
    if (!pathExists(paths.binding)) {
      reasons.push(`${specifier} has no binding at ${paths.binding}`);
      continue;
    }
    try {
      shimNodeUtil();
      // TensorFlow's C++ INFO lines (oneDNN, CPU features) on every start.
      if (Deno.env.get("TF_CPP_MIN_LOG_LEVEL") === undefined) {
        Deno.env.set("TF_CPP_MIN_LOG_LEVEL", "2");
      }
      await import(specifier);
      if (tf.findBackendFactory("tensorflow")) {
        return { loaded: specifier, reasons };
      }
      reasons.push(
        `${specifier} loaded but registered no "tensorflow" backend`,
      );
    } catch (error) {
      reasons.push(`${specifier}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  return { reasons };
}

/** What WebGPU offers here: the adapter description, or why there is none. */
export interface WebGpuAdapterInfo {
  /** Whether an adapter was found. */
  available: boolean;
  /** The adapter's description (e.g. "NVIDIA H100", "llvmpipe (LLVM 15)"). */
  description: string;
  /** Whether it is a software rasterizer (lavapipe, llvmpipe, SwiftShader). */
  software: boolean;
}

/** Asks Deno's WebGPU for an adapter and classifies it. */
export async function probeWebGpu(): Promise<WebGpuAdapterInfo> {
  if (builtPackage() !== null) await loadTensorflow();
  const gpu = (navigator as unknown as {
    gpu?: { requestAdapter(): Promise<unknown> };
  }).gpu;
  if (!gpu) {
    return {
      available: false,
      description: "no navigator.gpu",
      software: false,
    };
  }
  try {
    const adapter = await gpu.requestAdapter() as {
      info?: { description?: string; vendor?: string; device?: string };
      isFallbackAdapter?: boolean;
    } | null;
    if (!adapter) {
      return {
        available: false,
        description: "no WebGPU adapter (no Vulkan/Metal/D3D12 driver found)",
        software: false,
      };
    }
    const info = adapter.info ?? {};
    const description = info.description || info.device || info.vendor ||
      "unknown adapter";
    const software = Boolean(adapter.isFallbackAdapter) ||
      /llvmpipe|lavapipe|swiftshader|software/i.test(description);
    return { available: true, description, software };
  } catch (error) {
    return {
      available: false,
      description: `WebGPU adapter request failed: ${(error as Error).message}`,
      software: false,
    };
  }
}

function cpuModel(): string {
  try {
    const model = os.cpus()[0]?.model?.trim();
    if (model) return model;
  } catch {
    // no --allow-sys
  }
  return `${Deno.build.arch} CPU`;
}

/** CPU model, core count and memory, for report rows. */
export function describeHost(): {
  cpu: string;
  cores: number;
  memoryGiB: number;
} {
  let memory = 0;
  try {
    memory = Deno.systemMemoryInfo().total;
  } catch {
    // unavailable
  }
  return {
    cpu: cpuModel(),
    cores: navigator.hardwareConcurrency,
    memoryGiB: Math.round((memory / 2 ** 30) * 10) / 10,
  };
}

/**
 * One line describing where the active backend computes: the GPU adapter for
 * webgpu, and the CPU model, cores and memory in every case.
 */
export async function describeDevice(
  backend = tf.getBackend(),
): Promise<string> {
  const host = describeHost();
  const cpu = `${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB`;
  if (backend === "webgpu") {
    const adapter = await probeWebGpu();
    return `${adapter.description}${
      adapter.software ? " (software)" : ""
    } via WebGPU; host ${cpu}`;
  }
  if (backend === "tensorflow") return `libtensorflow; host ${cpu}`;
  return `${cpu} (${backend})`;
}

/**
 * Starts the requested backend (see the module docs for `auto`). Throws a clear
 * error for an unknown name, a missing tensorflow package, or no WebGPU adapter.
 *
 * @example
 * ```ts
 * import { initBackend } from "./mod.ts";
 * const backend = await initBackend("wasm");
 * console.log(`${backend.name} on ${backend.device}`);
 * ```
 */
export async function initBackend(requested: string): Promise<BackendInfo> {
  if (!(BACKENDS as readonly string[]).includes(requested)) {
    throw new Error(
      `unknown backend "${requested}"; choose one of ${BACKENDS.join(", ")}`,
    );
  }
  // Silence tfjs' "install tfjs-node" advice and debug-only warnings.
  tf.env().set("PROD", true);
  let name = requested;
  let tensorflowPackage: TensorflowPackage | undefined;
  if (requested === "tensorflow" || requested === "auto") {
    const { loaded, reasons } = await loadTensorflow();
    if (loaded) {
      name = "tensorflow";
      tensorflowPackage = loaded;
    } else if (requested === "tensorflow") {
      throw new Error(
        `the tensorflow backend is not set up (${
          reasons.join("; ")
        }); ${TENSORFLOW_INSTALL_HINT}`,
      );
    }
  }
  if (requested === "auto" && name === "auto") {
    const adapter = await probeWebGpu();
    name = adapter.available && !adapter.software ? "webgpu" : "wasm";
  }
  if (name === "webgpu") {
    const adapter = await probeWebGpu();
    if (!adapter.available) {
      throw new Error(
        `the webgpu backend has no adapter: ${adapter.description}. On Linux install a Vulkan driver (apt-get install mesa-vulkan-drivers gives the lavapipe CPU driver), or choose --backend wasm`,
      );
    }
  }
  if (name === "webgpu") await registerWebGpuDevice();
  if (name === "wasm") chooseWasmBuild();
  const ok = await tf.setBackend(name);
  if (!ok) throw new Error(`the ${name} backend failed to initialise`);
  await tf.ready();
  installGradientTapePasses();
  if (name === "wasm") {
    shareIdentityOnWasm();
    await prepareSimdKernels();
  }
  registerBackendOpKernels(name);
  if (name === "tensorflow") registerExplicitPaddingKernels();
  if (name === "webgpu") {
    watchWebGpuErrors();
    installBatchedSubmission();
    installBindGroupReuse();
  }
  return {
    name,
    device: await describeDevice(name),
    gpu: name === "webgpu"
      ? !(await probeWebGpu()).software
      : tensorflowPackage === TENSORFLOW_PACKAGES[0],
  };
}

/**
 * Before the wasm backend first starts: the threaded build when the `threads`
 * execution option asks for more than one (its count is then fixed for the
 * process), else the unthreaded one.
 */
function chooseWasmBuild(): void {
  const threads = executionOptions().threads;
  if (threads > 1 && !wasmStarted) useThreadedWasm(threads);
  wasmStarted = true;
}

// Whether the wasm backend has been started in this process (tf.findBackend
// would start it).
let wasmStarted = false;

/**
 * tfjs copies a tensor whenever it saves one for a gradient (`clone`, the
 * Identity kernel), and the wasm backend's Identity copies the bytes, while the
 * cpu backend's shares them (tensors are immutable). Measured: 13,882 copies in
 * a C=16/8-layer search step, 3 % of its time, and their memory on the tape.
 * This replaces the wasm kernel with the sharing one, as the wasm Reshape kernel
 * already does.
 */
function shareIdentityOnWasm(): void {
  const current = tf.getKernel("Identity", "wasm");
  if (current?.kernelFunc === shareIdentity) return;
  tf.unregisterKernel("Identity", "wasm");
  tf.registerKernel({
    kernelName: "Identity",
    backendName: "wasm",
    kernelFunc: shareIdentity as unknown as tf.KernelFunc,
  });
}

function shareIdentity(
  args: { inputs: { x: tf.TensorInfo }; backend: unknown },
): tf.TensorInfo {
  const x = args.inputs.x;
  if (x.dtype === "string") {
    throw new Error("shared Identity: string tensors are not supported");
  }
  (args.backend as { incRef(dataId: unknown): void }).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}
