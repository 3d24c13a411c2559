/**
 * Where a webgpu computation spends GPU time: every dispatch timed with
 * timestamp queries (tfjs' `backend.time`), summed per program (tfjs' program
 * classes and this project's WGSL programs by shader key). Needs the adapter's
 * `timestamp-query` feature; without it every time is 0.
 */
import * as tf from "../../tf.ts";

import type { ProgramTime } from "../backend_unit.ts";

export type { ProgramTime } from "../backend_unit.ts";

interface TimingBackend {
  time(f: () => void): Promise<{ getExtraProfileInfo?: () => string }>;
}

/**
 * Runs the synchronous `f` with every dispatch timed and returns the programs
 * by GPU time, largest first. Only on the webgpu backend.
 */
export async function gpuTimeByProgram(f: () => void): Promise<ProgramTime[]> {
  if (tf.getBackend() !== "webgpu") {
    throw new Error(
      `gpuTimeByProgram needs the webgpu backend, not ${tf.getBackend()}`,
    );
  }
  const timing = await (tf.backend() as unknown as TimingBackend).time(f);
  const byProgram = new Map<string, ProgramTime>();
  // tfjs gives "name: ms, name: ms, ..." in dispatch order.
  for (const entry of (timing.getExtraProfileInfo?.() ?? "").split(", ")) {
    const at = entry.lastIndexOf(": ");
    if (at < 0) continue;
    const program = entry.slice(0, at);
    const ms = Number(entry.slice(at + 2));
    const row = byProgram.get(program) ?? { program, dispatches: 0, ms: 0 };
    row.dispatches++;
    row.ms += Number.isFinite(ms) ? ms : 0;
    byProgram.set(program, row);
  }
  return [...byProgram.values()].sort((a, b) =>
    b.ms - a.ms || b.dispatches - a.dispatches
  );
}
