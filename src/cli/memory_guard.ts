/**
 * Whether a search step fits the backend's memory, asked before a search
 * starts. The wasm backend's heap holds at most 4 GiB, and a paper-size
 * PC-DARTS step (batch 256, C=16, 8 layers) needs far more: it aborted in its
 * first epoch. The step's tensor memory is measured at two small batches on
 * the backend itself (the buffer meter's peak) and extrapolated linearly in
 * the batch (activations grow with it; weights and optimizer state do not).
 */
import {
  measureSearchStep,
  searchStepSpec,
} from "../bench/step_measurement.ts";
import type { SearchConfig } from "../search/search_config.ts";
import { describeRecomputation } from "../ops/recompute.ts";
import { backendUnit, largerBackendAdvice } from "../backends/backend_table.ts";
import {
  backendCapacity,
  MEMORY_MARGIN,
  setMemoryLimit,
} from "../backends/memory_capacity.ts";

export { backendCapacity, MEMORY_MARGIN, setMemoryLimit };

/**
 * Parses `--memory-limit`'s value: bytes, or a number with `K`, `M` or `G`
 * (powers of 1024, an optional `iB` or `B` after it).
 */
export function parseMemorySize(text: string, flag = "--memory-limit"): number {
  const m = /^\s*([0-9]*\.?[0-9]+)\s*([KMG]?)(i?B)?\s*$/i.exec(text);
  if (!m) {
    throw new Error(
      `${flag} takes a size such as 8G, 512M or 1073741824, not "${text}"`,
    );
  }
  const power = { "": 0, K: 1, M: 2, G: 3 }[m[2].toUpperCase() as "" | "K"]!;
  const bytes = Number(m[1]) * 1024 ** power;
  if (!(bytes > 0)) {
    throw new Error(`${flag} must be more than 0, got "${text}"`);
  }
  return bytes;
}

/** The two batch sizes the step is measured at. */
const PROBE_BATCHES = [2, 4] as const;

/** The memory verdict for one configuration on one backend. */
export interface MemoryCheck {
  /** Extrapolated peak tensor bytes of one step at the configured batch. */
  stepBytes: number;
  /** What the backend can hold (null: not known, nothing checked). */
  capacityBytes: number | null;
  /** Whether stepBytes × MEMORY_MARGIN fits the capacity. */
  fits: boolean;
}

/** Peak buffer bytes of one search step at `batchSize` on the active backend. */
async function probe(config: SearchConfig, batchSize: number): Promise<number> {
  const m = await measureSearchStep({
    ...searchStepSpec(config, batchSize),
    steps: 0,
    warmup: 0,
  });
  return m.peakBufferBytes;
}

/**
 * Measures one step at two small batches and extrapolates to the configured
 * one; compares it with what `backend` can hold.
 */
export async function checkStepMemory(
  config: SearchConfig,
  backend: string,
): Promise<MemoryCheck> {
  const capacityBytes = backendCapacity(backend);
  const [b1, b2] = PROBE_BATCHES;
  if (capacityBytes === null || config.batchSize <= b2) {
    return { stepBytes: NaN, capacityBytes, fits: true };
  }
  const p1 = await probe(config, b1);
  const p2 = await probe(config, b2);
  const perImage = Math.max(0, (p2 - p1) / (b2 - b1));
  const stepBytes = p2 + perImage * (config.batchSize - b2);
  return {
    stepBytes,
    capacityBytes,
    fits: stepBytes * MEMORY_MARGIN <= capacityBytes,
  };
}

/** Why a step does not fit: its measured need against the backend's capacity. */
export function memoryShortfall(
  config: SearchConfig,
  backend: string,
  check: MemoryCheck,
): string {
  const size = (bytes: number) =>
    bytes < 2 ** 30
      ? `${(bytes / 2 ** 20).toFixed(0)} MiB`
      : `${(bytes / 2 ** 30).toFixed(1)} GiB`;
  const capacity = backendUnit(backend).memory.capacityBytes();
  const where = capacity !== null && check.capacityBytes === capacity
    ? backendUnit(backend).memory.describe(
      (check.capacityBytes! / 2 ** 30).toFixed(1),
    )
    : `the memory limit is ${size(check.capacityBytes!)}`;
  return `one ${config.size}-size search step (batch ${config.batchSize}, C=${config.channels}, ${config.layers} layers${
    config.recomputeCells
      ? `, ${
        describeRecomputation(config.recomputeCells, config.layers)
      } recomputed`
      : ""
  }) needs about ${size(check.stepBytes)} of tensors (measured at batches ${
    PROBE_BATCHES.join(" and ")
  } on ${backend}, extrapolated), and ${where}`;
}

/** What to tell the user when a step does not fit. */
export async function memoryAdvice(
  config: SearchConfig,
  backend: string,
  check: MemoryCheck,
): Promise<string> {
  const ways = [
    ...await largerBackendAdvice(),
    "--size small or smoke",
    ...(config.recomputeCells === true ? [] : [
      "--recompute-cells (about 45 % of the memory; --recompute-first N recomputes fewer)",
    ]),
    "a smaller --batch-size",
  ];
  return `${
    memoryShortfall(config, backend, check)
  }. Nothing was started. Choose ${ways.slice(0, -1).join(", ")} or ${
    ways.at(-1)
  }`;
}
