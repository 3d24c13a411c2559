/**
 * The CPU time of the main thread and of the whole process: what a step costs
 * the host, apart from waiting for a GPU.
 */
import { processCpuSeconds } from "../run/cpu_seconds.ts";

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
 * system, exited threads included; `run/cpu_seconds.ts`).
 */
export function processCpuMs(): number {
  return 1000 * processCpuSeconds();
}
