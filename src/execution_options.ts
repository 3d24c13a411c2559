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
}

/** The options a process starts with: everything on, chunks of 4,096 pixels. */
export const DEFAULT_EXECUTION_OPTIONS: Readonly<ExecutionOptions> = Object
  .freeze({
    simdKernels: true,
    webGpuPrograms: true,
    batchedSubmission: true,
    reductionChunk: 4096,
    bindGroupReuse: true,
    groupedGradientSums: true,
    backwardRelease: true,
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
 * (`simd+programs+batched+reuse+grouped+release, chunk 4096`).
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
  return `${on.join("+") || "none"}, chunk ${o.reductionChunk}`;
}
