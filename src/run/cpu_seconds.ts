/**
 * CPU time of the whole process (every thread: the main one, tfjs' and the
 * garbage collector's), from `node:process` `cpuUsage`, which needs no
 * permission. A run's cost measured so is not moved by other work on the
 * machine, nor by the process being stopped and continued.
 */
import process from "node:process";

/** CPU seconds (user plus system) the process has used so far. */
export function processCpuSeconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
}
