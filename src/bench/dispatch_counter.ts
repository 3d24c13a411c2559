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

/**
 * CPU milliseconds all of this process's threads have run so far (user plus
 * system, exited threads included), from Linux' `/proc/self/stat` in clock
 * ticks of 10 ms; NaN where that is not readable.
 */
export function processCpuMs(): number {
  try {
    const text = Deno.readTextFileSync("/proc/self/stat");
    // Fields after the command name, which may hold spaces: state is field 3,
    // utime 14 and stime 15.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}
