/**
 * The wasm backend's execution options: our SIMD kernels on or off, and the
 * threads that share a kernel call. Importing this file adds them to
 * `ExecutionOptions`.
 */
import { registerExecutionOptions } from "../../ops/execution_options.ts";

declare module "../../ops/execution_options.ts" {
  interface ExecutionOptions {
    /** wasm: our SIMD kernels on the wasm heap (off: tfjs' kernels). */
    simdKernels: boolean;
    /**
     * wasm: threads that share a kernel call (the calling one included): our
     * SIMD kernels split by sample, row or element, XNNPACK's thread pool. The
     * pool is sized when the wasm backend first starts; 1 keeps the unthreaded
     * build. The same bits whatever the count. By default the machine's cores,
     * at most {@linkcode MAX_DEFAULT_THREADS}.
     */
    threads: number;
  }
}

/**
 * The most threads a process starts with when `PCDARTS_THREADS` is unset
 * (measured: 2). Past a few, a split call's chunks get small and every
 * thread pays a wake-up for each.
 */
export const MAX_DEFAULT_THREADS = 4;

/** The default thread count: the cores this process may use, at most 4. */
export function defaultThreads(): number {
  const cores = navigator.hardwareConcurrency;
  return Number.isInteger(cores) && cores > 1
    ? Math.min(cores, MAX_DEFAULT_THREADS)
    : 1;
}

/** `PCDARTS_THREADS` when set (a whole number of at least 1), else null. */
export function threadsFromEnvironment(): number | null {
  let text: string | undefined;
  try {
    text = Deno.env.get("PCDARTS_THREADS");
  } catch {
    return null; // no --allow-env: the default
  }
  if (text === undefined || text === "") return null;
  const threads = Number(text);
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(
      `PCDARTS_THREADS must be a whole number of at least 1, not "${text}"`,
    );
  }
  return threads;
}

registerExecutionOptions({
  owner: "wasm",
  defaults: {
    simdKernels: true,
    threads: threadsFromEnvironment() ?? defaultThreads(),
  },
  check(o) {
    if (!(Number.isInteger(o.threads) && o.threads >= 1)) {
      throw new Error(
        `execution option threads must be a whole number of at least 1, not ${o.threads}`,
      );
    }
  },
  switchesOn: (o) => o.simdKernels ? ["simd"] : [],
  settings: (o) => o.threads > 1 ? [`threads ${o.threads}`] : [],
});
