/**
 * The benchmark suites. Each returns rows of its own columns (the caller adds
 * the context columns):
 *
 * - `memory`: peak live tensor bytes of one search step for K = 1, 2, 4, 8 with
 *   and without edge normalization, at a batch and at half of it, giving bytes
 *   per sample, the ratio to K=1 and the largest batch under a memory budget;
 * - `batch`: step time, images per second and peak bytes over a batch sweep for
 *   DARTS-style (K=1) and PC-DARTS (K=4) networks;
 * - `cost`: seconds per search step and per epoch of `pcdarts`, `darts1` and
 *   `darts2` at a size, and the search days they project to (labelled as a
 *   projection: warm-up epochs, which skip architecture steps, are counted as
 *   full ones);
 * - `step`: fixed configurations `tiny`, `small` and `host` (PC-DARTS,
 *   random data), median ms per step;
 * - `error`: search, derive, train from scratch, final-epoch test error, per
 *   method and seed, with the published cells and a random cell as references.
 */
import type { CellRecomputation } from "../ops/recompute.ts";
import { searchStepFlops } from "./step_flops.ts";
import { measureSearchStep } from "./step_measurement.ts";
import { kernelKindRows, timedStepColumns } from "./step_row.ts";
import { measureMachinePeak } from "./machine_peak.ts";
import {
  resolveSearchConfig,
  SEARCH_METHODS,
} from "../search/search_config.ts";

/** A benchmark size. */
export type BenchSize = "smoke" | "small" | "paper";

/** Network and batch sizes per benchmark size. */
export const BENCH_SHAPES: Record<
  BenchSize,
  {
    channels: number;
    layers: number;
    imageSize: number;
    batch: number;
    batches: number[];
  }
> = {
  smoke: { channels: 8, layers: 3, imageSize: 16, batch: 8, batches: [4, 8] },
  small: {
    channels: 8,
    layers: 5,
    imageSize: 32,
    batch: 16,
    batches: [8, 16, 32],
  },
  paper: {
    channels: 16,
    layers: 8,
    imageSize: 32,
    batch: 64,
    batches: [16, 32, 64, 128, 256],
  },
};

/** A row of suite-specific columns. */
export type SuiteRow = Record<string, string | number | boolean | null>;

/** Which search network the memory suite measures. */
export interface MemoryNetwork {
  /** The stem (default CIFAR's). */
  stem?: "cifar" | "imagenet";
  /** The image side (default the size's). */
  imageSize?: number;
  /** The Ks measured (default 1, 2, 4, 8). */
  ks?: number[];
}

/** The memory suite. */
export async function memorySuite(
  size: BenchSize,
  budgetBytes: number,
  log: (s: string) => void,
  network: MemoryNetwork = {},
): Promise<SuiteRow[]> {
  const shape = BENCH_SHAPES[size];
  const rows: SuiteRow[] = [];
  for (const edgeNormalization of [false, true]) {
    let k1Peak = 0;
    for (const k of network.ks ?? [1, 2, 4, 8]) {
      const base = {
        channels: shape.channels,
        layers: shape.layers,
        imageSize: network.imageSize ?? shape.imageSize,
        stem: network.stem,
        partialChannels: k,
        edgeNormalization,
        steps: 0,
        warmup: 1,
      };
      const full = await measureSearchStep({ ...base, batchSize: shape.batch });
      const half = await measureSearchStep({
        ...base,
        batchSize: shape.batch / 2,
      });
      const perSample = (full.peakBytes - half.peakBytes) / (shape.batch / 2);
      const fixed = full.peakBytes - perSample * shape.batch;
      if (k === 1) k1Peak = full.peakBytes;
      const row: SuiteRow = {
        k,
        edge_normalization: edgeNormalization,
        batch_size: shape.batch,
        peak_bytes: full.peakBytes,
        peak_buffer_bytes: full.peakBufferBytes,
        peak_bytes_half_batch: half.peakBytes,
        bytes_per_sample: Math.round(perSample),
        fixed_bytes: Math.round(fixed),
        ratio_to_k1: +(full.peakBytes / k1Peak).toFixed(4),
        memory_budget_bytes: budgetBytes,
        max_batch_under_budget: perSample > 0
          ? Math.floor((budgetBytes - fixed) / perSample)
          : null,
        rss_bytes: full.rssBytes,
      };
      log(
        `memory K=${k} edge-norm=${edgeNormalization}: ${
          (full.peakBytes / 2 ** 20).toFixed(1)
        } MiB peak (${
          (full.peakBufferBytes / 2 ** 20).toFixed(1)
        } MiB in buffers), ratio ${row.ratio_to_k1}, max batch ${row.max_batch_under_budget}`,
      );
      rows.push(row);
    }
  }
  return rows;
}

/** The batch-size sweep. */
export async function batchSuite(
  size: BenchSize,
  log: (s: string) => void,
): Promise<SuiteRow[]> {
  const shape = BENCH_SHAPES[size];
  const rows: SuiteRow[] = [];
  for (const [k, edgeNormalization] of [[1, false], [4, true]] as const) {
    for (const batchSize of shape.batches) {
      const m = await measureSearchStep({
        channels: shape.channels,
        layers: shape.layers,
        imageSize: shape.imageSize,
        partialChannels: k,
        edgeNormalization,
        batchSize,
        steps: 3,
      });
      rows.push({
        k,
        edge_normalization: edgeNormalization,
        batch_size: batchSize,
        median_ms: +m.medianMs.toFixed(1),
        images_per_s: +((batchSize * 1000) / m.medianMs).toFixed(2),
        peak_bytes: m.peakBytes,
        peak_buffer_bytes: m.peakBufferBytes,
        kernels_per_step: m.kernels,
      });
      log(
        `batch K=${k} batch ${batchSize}: ${m.medianMs.toFixed(0)} ms/step, ${
          (m.peakBytes / 2 ** 20).toFixed(1)
        } MiB`,
      );
    }
  }
  return rows;
}

/** The search-cost suite. */
export async function costSuite(
  size: BenchSize,
  gpu: boolean,
  log: (s: string) => void,
): Promise<SuiteRow[]> {
  const rows: SuiteRow[] = [];
  for (const method of SEARCH_METHODS) {
    const c = resolveSearchConfig(method, size);
    const images = c.subset ?? 50000;
    const stepsPerEpoch = Math.ceil(
      Math.floor(images * c.trainPortion) / c.batchSize,
    );
    const m = await measureSearchStep({
      channels: c.channels,
      layers: c.layers,
      imageSize: 32,
      partialChannels: c.partialChannels,
      edgeNormalization: c.edgeNormalization,
      batchSize: c.batchSize,
      method,
      steps: size === "smoke" ? 1 : 3,
    });
    const secondsPerEpoch = (m.medianMs / 1000) * stepsPerEpoch;
    rows.push({
      method,
      k: c.partialChannels,
      edge_normalization: c.edgeNormalization,
      second_order: c.secondOrder,
      batch_size: c.batchSize,
      steps_per_epoch: stepsPerEpoch,
      epochs: c.epochs,
      median_step_ms: +m.medianMs.toFixed(1),
      seconds_per_epoch: +secondsPerEpoch.toFixed(2),
      projected_search_days: +((secondsPerEpoch * c.epochs) / 86400)
        .toExponential(4),
      days_unit: gpu
        ? "GPU-days (projection)"
        : "CPU-days (projection; no GPU)",
      peak_bytes: m.peakBytes,
      peak_buffer_bytes: m.peakBufferBytes,
    });
    log(
      `cost ${method}: ${m.medianMs.toFixed(0)} ms/step, ${
        secondsPerEpoch.toFixed(1)
      } s/epoch`,
    );
  }
  return rows;
}

/**
 * The fixed step configurations, comparable across backends and with the
 * PyTorch twin. `small` keeps cell intermediates, as the reference does (a
 * peak of 2.7 GB of tensors, 1.7 GB of buffers: within the wasm backend's 4 GiB
 * heap); `paper`, at four times the batch, recomputes them to fit it.
 */
export const STEP_CONFIGS = {
  tiny: {
    channels: 8,
    layers: 5,
    batchSize: 32,
    imageSize: 16,
    recomputeCells: false,
    settle: 0,
  },
  small: {
    channels: 16,
    layers: 8,
    batchSize: 64,
    imageSize: 32,
    recomputeCells: false,
    settle: 0,
  },
  /**
   * The paper's search step (batch 256) as the search runs it on wasm: the
   * first 3 of its 8 cells recomputed, the fewest that fit the 4 GiB heap.
   */
  paper: {
    channels: 16,
    layers: 8,
    batchSize: 256,
    imageSize: 32,
    recomputeCells: 3,
    settle: 0,
  },
  /**
   * The paper's network at negligible arithmetic: what a step costs the host,
   * in steady state (steps that reuse the last ones' bind groups).
   */
  host: {
    channels: 16,
    layers: 8,
    batchSize: 1,
    imageSize: 8,
    recomputeCells: false,
    settle: 3,
  },
} as const;

/** The step suite's row, and its profiled step's kernels by kind. */
export interface StepSuiteResult {
  /** The step's row. */
  rows: SuiteRow[];
  /** Per kernel kind, the most time above the roofline bound first. */
  kinds: SuiteRow[];
}

/**
 * One step configuration: PC-DARTS (K=4, edge normalization), first order,
 * with the machine's ceilings measured first and the profiled step's kernels
 * counted against them.
 */
export async function stepSuite(
  config: keyof typeof STEP_CONFIGS,
  steps: number,
  recomputeCells?: CellRecomputation,
): Promise<StepSuiteResult> {
  const spec = {
    ...STEP_CONFIGS[config],
    recomputeCells: recomputeCells ?? STEP_CONFIGS[config].recomputeCells,
  };
  const peak = await measureMachinePeak();
  const m = await measureSearchStep({
    ...spec,
    partialChannels: 4,
    edgeNormalization: true,
    steps,
    warmup: 1,
    peak,
  });
  const flops = searchStepFlops({ ...spec, partialChannels: 4 });
  const roofline = m.roofline!;
  const kinds = kernelKindRows(config, spec.batchSize, roofline);
  // The search's host and GPU columns sit between the kernels and the CPU.
  const row: SuiteRow = {
    config,
    k: 4,
    edge_normalization: true,
    batch_size: spec.batchSize,
    recompute_cells: spec.recomputeCells,
    ...timedStepColumns({ ...m, roofline }, flops, peak, {
      gpu_dispatches_per_step: Number.isFinite(m.gpuDispatches)
        ? m.gpuDispatches
        : "",
      host_ms_per_step: Number.isFinite(m.hostMs) ? +m.hostMs.toFixed(1) : "",
    }),
  };
  return { rows: [row], kinds };
}
