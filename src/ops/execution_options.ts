/**
 * How (not what) the ops compute, as one typed object. Each option has been
 * checked to give the same numbers on and off (the ops' tests); they exist for
 * A/B measurements. The ops read the options in force from here, and nothing
 * else holds a switch of its own. A run records the options it ran with in its
 * `config.json`, and every benchmark row in its `execution` column.
 */

/** How the ops compute. */
export interface ExecutionOptions {
  /** wasm: our SIMD kernels on the wasm heap (off: tfjs' kernels). */
  simdKernels: boolean;
  /** webgpu: our WGSL programs (off: tfjs' kernels). */
  webGpuPrograms: boolean;
  /** webgpu: batched uniform uploads and 64 dispatches per submit (off: tfjs' 15). */
  batchedSubmission: boolean;
  /** webgpu: pixels per partial sum of the two-level reductions (Infinity: one level). */
  reductionChunk: number;
  /** webgpu: bind groups kept and reused when a step binds the same buffers. */
  bindGroupReuse: boolean;
  /** A tensor's gradient contributions summed 7 to a kernel. */
  groupedGradientSums: boolean;
  /** Upstream gradients and saved tensors freed as the backward pass goes. */
  backwardRelease: boolean;
  /**
   * wasm: threads that share a kernel call (the calling one included): our
   * SIMD kernels split by sample, row or element, XNNPACK's thread pool. The
   * pool is sized when the wasm backend first starts; 1 keeps the unthreaded
   * build. The same bits whatever the count. By default the machine's cores,
   * at most {@linkcode MAX_DEFAULT_THREADS}.
   */
  threads: number;
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

/**
 * The options a process starts with: everything on, chunks of 4,096 pixels,
 * the machine's cores up to 4 (`PCDARTS_THREADS` sets another count).
 */
export const DEFAULT_EXECUTION_OPTIONS: Readonly<ExecutionOptions> = Object
  .freeze({
    simdKernels: true,
    webGpuPrograms: true,
    batchedSubmission: true,
    reductionChunk: 4096,
    bindGroupReuse: true,
    groupedGradientSums: true,
    backwardRelease: true,
    threads: threadsFromEnvironment() ?? defaultThreads(),
  });

let current: Readonly<ExecutionOptions> = DEFAULT_EXECUTION_OPTIONS;
const listeners: ((options: Readonly<ExecutionOptions>) => void)[] = [];

/** The options in force (read-only; change them with {@linkcode setExecutionOptions}). */
export function executionOptions(): Readonly<ExecutionOptions> {
  return current;
}

/** A copy of the options in force now. */
export function currentExecutionOptions(): ExecutionOptions {
  return { ...current };
}

/**
 * Calls `listener` whenever the options change (a backend that holds state
 * derived from them, such as the webgpu submission batch size).
 */
export function onExecutionOptionsChange(
  listener: (options: Readonly<ExecutionOptions>) => void,
): void {
  if (!listeners.includes(listener)) listeners.push(listener);
}

/** Applies the given options; returns all of them as they were before. */
export function setExecutionOptions(
  options: Partial<ExecutionOptions>,
): ExecutionOptions {
  const before = currentExecutionOptions();
  const next = { ...before, ...options };
  const chunk = next.reductionChunk;
  if (!(chunk === Infinity || (Number.isInteger(chunk) && chunk > 0))) {
    throw new Error(
      `execution option reductionChunk must be a positive whole number of pixels or Infinity, not ${chunk}`,
    );
  }
  if (!(Number.isInteger(next.threads) && next.threads >= 1)) {
    throw new Error(
      `execution option threads must be a whole number of at least 1, not ${next.threads}`,
    );
  }
  current = Object.freeze(next);
  for (const listener of listeners) listener(current);
  return before;
}

/**
 * Runs `fn` under `options`, then restores the options before it.
 *
 * @example
 * ```ts
 * import { withExecutionOptions } from "./mod.ts";
 * // The same numbers, computed by tfjs' kernels instead of our SIMD ones.
 * await withExecutionOptions({ simdKernels: false }, () => {});
 * ```
 */
export async function withExecutionOptions<T>(
  options: Partial<ExecutionOptions>,
  fn: () => Promise<T> | T,
): Promise<T> {
  const before = setExecutionOptions(options);
  try {
    return await fn();
  } finally {
    setExecutionOptions(before);
  }
}

/**
 * The options in one CSV cell: the ones that are on, and the reduction chunk
 * and the threads when more than one (`simd+programs+batched+reuse+grouped+release,
 * chunk 4096, threads 2`).
 */
export function executionLabel(o: ExecutionOptions): string {
  const on = [
    o.simdKernels && "simd",
    o.webGpuPrograms && "programs",
    o.batchedSubmission && "batched",
    o.bindGroupReuse && "reuse",
    o.groupedGradientSums && "grouped",
    o.backwardRelease && "release",
  ].filter(Boolean);
  const threads = o.threads > 1 ? `, threads ${o.threads}` : "";
  return `${on.join("+") || "none"}, chunk ${o.reductionChunk}${threads}`;
}
