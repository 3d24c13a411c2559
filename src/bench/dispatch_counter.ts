/**
 * Counts GPU compute dispatches as they are recorded (every program, tfjs' and
 * ours, goes through `GPUComputePassEncoder.dispatchWorkgroups`), and the
 * main thread's CPU time: what a step costs the host, apart from waiting for
 * the GPU.
 */

let dispatches = 0;
let installed = false;

/** Starts counting (once per process); a no-op without WebGPU. */
function install(): void {
  if (installed || typeof GPUComputePassEncoder === "undefined") return;
  installed = true;
  const proto = GPUComputePassEncoder.prototype as unknown as {
    dispatchWorkgroups: (...args: unknown[]) => void;
  };
  const original = proto.dispatchWorkgroups;
  proto.dispatchWorkgroups = function (this: unknown, ...args: unknown[]) {
    dispatches++;
    return original.apply(this, args);
  };
}

/** Compute dispatches recorded so far in this process (0 without WebGPU). */
export function gpuDispatchCount(): number {
  install();
  return dispatches;
}

/**
 * CPU milliseconds the calling (main) thread has run so far, from Linux'
 * `/proc/self/task/<pid>/schedstat` (nanoseconds); NaN where that is not
 * readable (Deno lets only `--allow-all` read `/proc/self`; `deno task bench`
 * has it).
 */
export function mainThreadCpuMs(): number {
  try {
    const text = Deno.readTextFileSync(`/proc/self/task/${Deno.pid}/schedstat`);
    return Number(text.split(" ")[0]) / 1e6;
  } catch {
    return NaN;
  }
}
