/**
 * WebGPU reports a failed shader compilation, pipeline or dispatch (a
 * validation error, an out-of-memory) as an event, not an exception, and the
 * commands that depended on it do not run, leaving whatever their output
 * buffers held: a broken run would go on computing with garbage. This records those events from the moment the
 * webgpu backend starts, prints the first, and lets the long-running loops and
 * the checks turn them into an error.
 */
import * as tf from "../../tf.ts";

/** The GPU reported an error: what was computed since is not valid. */
export class WebGpuError extends Error {}

const recorded: string[] = [];
const watched = new WeakSet<object>();
/** At most this many messages are kept (the first ones matter). */
const KEPT = 20;

/**
 * Starts recording the webgpu backend's uncaptured GPU errors (once per
 * device). Call after `tf.setBackend("webgpu")`.
 */
export function watchWebGpuErrors(): void {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  if (!device || watched.has(device)) return;
  watched.add(device);
  device.addEventListener("uncapturederror", (event) => {
    const message = (event as GPUUncapturedErrorEvent).error?.message ??
      String(event);
    if (recorded.length === 0) console.error(`webgpu error: ${message}`);
    if (recorded.length < KEPT) recorded.push(message);
  });
}

/** The GPU errors recorded since the last call, and forgets them. */
export function takeWebGpuErrors(): string[] {
  return recorded.splice(0, recorded.length);
}

/**
 * Throws a {@linkcode WebGpuError} naming `where` if the GPU reported an error
 * since the last check.
 */
export function throwOnWebGpuErrors(where: string): void {
  const errors = takeWebGpuErrors();
  if (errors.length === 0) return;
  throw new WebGpuError(
    `the GPU reported ${errors.length}${
      errors.length === KEPT ? "+" : ""
    } error(s) by ${where}, so the results since are not valid: ${
      errors[0]
    }. Check the backend with \`deno task parity --backend webgpu <fixture>\` and report it, or choose --backend wasm`,
  );
}
