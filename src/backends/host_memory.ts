/**
 * The memory of backends whose tensors live in the process's own memory
 * (cpu, tensorflow): the machine's.
 */
import type { BackendMemory } from "./backend_unit.ts";

/** The machine's memory, as the capacity of a host-memory backend. */
export const HOST_MEMORY: BackendMemory = {
  capacityBytes(): number | null {
    try {
      return Deno.systemMemoryInfo().total;
    } catch {
      return null;
    }
  },
  describe: (gib) => `this machine has ${gib} GiB`,
};
