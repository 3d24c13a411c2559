/**
 * What a backend can give tensors: its unit's capacity (the wasm heap, the
 * machine's memory, or null where the device does not say), at most the
 * memory limit a command was given; and the margin a measured peak needs
 * within it.
 */
import { backendUnit } from "./backend_table.ts";

/**
 * A measured peak is only the tensors: kernels' scratch, the heap's
 * fragmentation and the process need more. A step fits when its extrapolated
 * peak times this is within the capacity.
 */
export const MEMORY_MARGIN = 1.25;

let memoryLimit: number | null = null;

/**
 * Caps what every backend is taken to hold (`--memory-limit`); null lifts the
 * cap.
 */
export function setMemoryLimit(bytes: number | null): void {
  if (bytes !== null && !(Number.isFinite(bytes) && bytes > 0)) {
    throw new Error(`a memory limit must be a positive size, got ${bytes}`);
  }
  memoryLimit = bytes;
}

/**
 * The memory a backend can give tensors (its unit's capacity: the wasm heap,
 * the machine's memory, or null where the device does not say), at most the
 * memory limit.
 */
export function backendCapacity(backend: string): number | null {
  const capacity = backendUnit(backend).memory.capacityBytes();
  if (memoryLimit === null) return capacity;
  return capacity === null ? memoryLimit : Math.min(capacity, memoryLimit);
}
