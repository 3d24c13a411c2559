/**
 * The `wasm` backend: XNNPACK in WebAssembly plus this project's SIMD kernels
 * on tfjs' heap, then the host kernels; the fastest CPU backend here. Its heap
 * is WebAssembly's 32-bit address space.
 */
import "@tensorflow/tfjs-backend-wasm";
import * as tf from "../../tf.ts";
import {
  executionOptions,
  setExecutionOptions,
} from "../../ops/execution_options.ts";
import { threadsFromEnvironment } from "./wasm_options.ts";
import type { BackendUnit } from "../backend_unit.ts";
import { registerHostOpKernels } from "../host_kernels/register_host_kernels.ts";
import { registerSimdOpKernels } from "./simd/register_simd_kernels.ts";
import {
  prepareSimdKernels,
  recordSimdKernelWork,
} from "./simd/simd_kernels.ts";
import { useThreadedWasm } from "./threaded_build.ts";
import { simdTriadBytesPerSecond } from "./simd/triad.ts";
import { simdPeakFlopsPerSecond } from "./simd/compute_peak.ts";

/** The wasm backend's heap limit (WebAssembly's 32-bit address space). */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

/** Messages with which the wasm backend reports an exhausted heap. */
const HEAP_EXHAUSTED =
  /memory access out of bounds|Cannot enlarge memory|Out of memory|Aborted\(OOM\)|Array buffer allocation failed/i;

// Whether the wasm backend has been started in this process (tf.findBackend
// would start it).
let started = false;
let kernelsRegistered = false;

/** The wasm backend. */
export const WASM_BACKEND: BackendUnit = {
  name: "wasm",
  summary:
    "XNNPACK in WebAssembly plus our SIMD kernels: the fastest CPU backend, a 4 GiB heap",
  autoRank: 2,
  availability: () =>
    Promise.resolve({ available: true, reason: "WebAssembly on the host" }),
  autoWorthy: () => Promise.resolve(true),
  load(): Promise<void> {
    // The threaded build when the `threads` option asks for more than one (its
    // count is then fixed for the process), else the unthreaded one.
    const threads = executionOptions().threads;
    if (threads > 1 && !started) {
      try {
        useThreadedWasm(threads);
      } catch (error) {
        // The default count falls back to one thread; an explicit one fails.
        if (threadsFromEnvironment() !== null) throw error;
        console.error(
          `wasm: one thread (${(error as Error).message})`,
        );
        setExecutionOptions({ threads: 1 });
      }
    }
    started = true;
    return Promise.resolve();
  },
  async prepare(): Promise<void> {
    shareIdentityOnWasm();
    await prepareSimdKernels();
    if (!kernelsRegistered) {
      registerSimdOpKernels();
      registerHostOpKernels("wasm");
    }
    kernelsRegistered = true;
  },
  onGpu: () => Promise.resolve(false),
  describeDevice: (host) => Promise.resolve(`${host} (wasm)`),
  recordKernelWork: recordSimdKernelWork,
  triadBytesPerSecond: (elements) => simdTriadBytesPerSecond(elements),
  peakFlopsPerSecond: () => simdPeakFlopsPerSecond(),
  memory: {
    capacityBytes: () => WASM_HEAP_BYTES,
    describe: (gib) => `the wasm backend's heap holds at most ${gib} GiB`,
  },
  explainError(message: string): string | undefined {
    if (!HEAP_EXHAUSTED.test(message)) return undefined;
    return `${message}: the backend ran out of memory (the wasm backend's heap ` +
      `is at most 4 GiB). Use --recompute-cells (about 45 % of the ` +
      `memory), a smaller --batch-size, or --backend cpu (no heap limit, slower)`;
  },
};

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
