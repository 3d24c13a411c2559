/**
 * Counts GPU compute dispatches as they are recorded: every program, tfjs' and
 * ours, goes through `GPUComputePassEncoder.dispatchWorkgroups`.
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
