/**
 * The host machine in words, for report rows and device lines.
 */
import os from "node:os";

function cpuModel(): string {
  try {
    const model = os.cpus()[0]?.model?.trim();
    if (model) return model;
  } catch {
    // no --allow-sys
  }
  return `${Deno.build.arch} CPU`;
}

/** CPU model, core count and memory, for report rows. */
export function describeHost(): {
  cpu: string;
  cores: number;
  memoryGiB: number;
} {
  let memory = 0;
  try {
    memory = Deno.systemMemoryInfo().total;
  } catch {
    // unavailable
  }
  return {
    cpu: cpuModel(),
    cores: navigator.hardwareConcurrency,
    memoryGiB: Math.round((memory / 2 ** 30) * 10) / 10,
  };
}
