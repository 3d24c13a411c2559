/**
 * The CPU time of the main thread and of the whole process: what a step costs
 * the host, apart from waiting for a GPU.
 */

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
