/**
 * What the GPU programs that dominated a `pcdarts` weight-step gradient on an
 * H200 should take now, for the next GPU run to check. Records every dispatch
 * of one weight-step gradient at a small batch on any WebGPU adapter (lavapipe
 * will do: only the shapes are used), scales the pixel counts to the paper's
 * batch, and models each dispatch of the programs below on an H200:
 *
 *   ms = dispatches · launch + Σ max(bytes / bandwidth, FMAs / FMA rate)
 *
 * with the constants of {@linkcode H200}. Writes one row per program (its
 * shader keys' common prefix) with its FLOPs, bytes and predicted
 * milliseconds, beside the program it replaced and that program's measured
 * time in `results/gpu/ours_gpu_time.csv`; the chunk sums these programs
 * leave get a row of their own (`pcdarts_sum_chunks`, a program the batch
 * norms' two-level sums run too). `benchmarks/gpu/table.py` sets a run's
 * measured times beside the predictions.
 *
 *   deno run -A benchmarks/gpu/program_predictions.ts \
 *     [--batch 2] [--out results/gpu/predictions_h200.csv]
 */
import "../../src/backends/webgpu/webgpu_options.ts";
import { parseArgs } from "node:util";
import { parse } from "csv-parse/sync";
import * as tf from "../../src/tf.ts";
import { initBackend } from "../../src/backends/init.ts";
import { machineContext } from "../../src/bench/context.ts";
import { writeCsvAtomic } from "../../src/io/csv_file.ts";
import {
  columnsFor,
  GPU_PROGRAM_PREDICTIONS_SCHEMA,
} from "../../src/bench/csv_schema.ts";
import { measureSearchStep } from "../../src/bench/step_measurement.ts";
import { transposedProductChunking } from "../../src/backends/webgpu/pointwise_programs.ts";
import { chunking } from "../../src/backends/webgpu/webgpu_programs.ts";
import { runStamp } from "../../src/cli/run_folder.ts";
import {
  defaultExecutionOptions,
  setExecutionOptions,
} from "../../src/ops/execution_options.ts";

/** The H200 model (SXM, 141 GB HBM3e; FP32 without tensor cores). */
export const H200 = {
  /** Bytes per second from HBM that a streaming program sustains (peak 4.8e12). */
  bandwidth: 3.3e12,
  /** Bytes per second from the L2 cache. */
  l2Bandwidth: 10e12,
  /** FMAs per second when operands come from workgroup memory, 2 loads each. */
  stagedFmaRate: 4e12,
  /** FMAs per second of the tiled product (16 FMAs per 8 loads). */
  tiledFmaRate: 12e12,
  /** FMAs per second when operands come through the L1 cache, a load each. */
  cachedFmaRate: 4e12,
  /** Seconds per dispatch, back to back in one command buffer. */
  launch: 3e-6,
};

/** The paper's search batch. */
const PAPER_BATCH = 256;

/** Pixels per partial sum of the two-level reductions (the default option). */
// The webgpu unit's default chunk (its options file registers it).
const PAPER_CHUNK = defaultExecutionOptions().reductionChunk;

/** One dispatch's modelled cost. */
interface Cost {
  fmas: number;
  /** Bytes from and to HBM. */
  bytes: number;
  /** Bytes from the L2 cache beyond those. */
  l2Bytes?: number;
  rate: number;
  /** A chunk sum (reported in a row of its own). */
  chunkSum?: boolean;
}

/** A recorded dispatch: shader key, inputs' and output's shapes, workgroups. */
interface Dispatch {
  key: string;
  inputs: number[][];
  output: number[];
  workgroups: number[];
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** The seconds an H200 takes for one modelled dispatch. */
function seconds(c: Cost): number {
  return H200.launch + Math.max(
    c.bytes / H200.bandwidth,
    (c.l2Bytes ?? 0) / H200.l2Bandwidth,
    c.fmas / c.rate,
  );
}

/** The dispatch that adds `chunks` partial sums of `width` outputs. */
function chunkSum(chunks: number, width: number): Cost[] {
  return chunks > 1
    ? [{
      fmas: chunks * width,
      bytes: 4 * (chunks + 1) * width,
      rate: H200.cachedFmaRate,
      chunkSum: true,
    }]
    : [];
}

/** A depthwise program's filter size, from its shader key. */
function taps(key: string): number {
  const [, kh, kw] = key.match(/_k(\d+)x(\d+)_/) ?? [];
  if (!kh) throw new Error(`no filter size in the shader key ${key}`);
  return Number(kh) * Number(kw);
}

/**
 * The programs modelled, by shader key prefix, with the programs of the
 * committed GPU run they replaced (or are).
 */
const PROGRAMS: {
  prefix: string;
  program: string;
  before: string[];
  model: string;
  cost: (d: Dispatch, scale: number) => Cost[];
}[] = [
  {
    prefix: "pcdarts_transposed_product_",
    program: "pcdarts_transposed_product",
    before: ["pcdarts_transposed_product"],
    model: "staged",
    cost: (d, scale) => {
      const [[rows, inner], [, cols]] = d.inputs;
      const paperRows = rows * scale;
      const { chunks } = transposedProductChunking(paperRows);
      return [{
        fmas: paperRows * inner * cols,
        bytes: 4 * paperRows *
            (inner * Math.ceil(cols / 64) + cols * Math.ceil(inner / 64)) +
          4 * chunks * inner * cols,
        rate: H200.stagedFmaRate,
      }, ...chunkSum(chunks, inner * cols)];
    },
  },
  {
    prefix: "pcdarts_depthwise_filter_gradient_",
    program: "pcdarts_depthwise_filter_gradient",
    before: ["pcdarts_depthwise_filter_gradient"],
    model: "cached",
    cost: (d, scale) => {
      const [x, dy] = d.inputs;
      const pixels = size(dy.slice(0, 3)) * scale;
      const width = taps(d.key) * x[3];
      const { chunks } = chunking(pixels, PAPER_CHUNK);
      return [{
        fmas: pixels * width,
        bytes: 4 * ((size(x) + size(dy)) * scale + chunks * width),
        rate: H200.cachedFmaRate,
      }, ...chunkSum(chunks, width)];
    },
  },
  {
    prefix: "pcdarts_depthwise_input_gradient_",
    program: "pcdarts_depthwise_input_gradient",
    before: ["pcdarts_depthwise_input_gradient"],
    model: "cached",
    cost: (d, scale) => {
      const [dy] = d.inputs;
      return [{
        fmas: size(d.output) * scale * taps(d.key),
        bytes: 4 * (size(dy) + size(d.output)) * scale,
        rate: H200.cachedFmaRate,
      }];
    },
  },
  {
    prefix: "pcdarts_tiled_product_",
    program: "pcdarts_tiled_product",
    before: ["MatMulPackedProgram2"],
    model: "tiled",
    cost: (d, scale) => {
      const [[rows, inner]] = d.inputs;
      const cols = d.output[1];
      const paperRows = rows * scale;
      return [{
        fmas: paperRows * inner * cols,
        bytes: 4 * (paperRows * inner * Math.ceil(cols / 64) +
          inner * cols * Math.ceil(paperRows / 64) + paperRows * cols),
        rate: H200.tiledFmaRate,
      }];
    },
  },
  ...[true, false].map((transposed) => ({
    prefix: `pcdarts_thin_product_${transposed}`,
    program: `pcdarts_thin_product_${transposed}`,
    before: [`pcdarts_thin_product_${transposed}`],
    model: "cached",
    cost: (d: Dispatch, scale: number): Cost[] => {
      const [[rows, inner]] = d.inputs;
      const cols = d.output[1];
      return [{
        fmas: rows * scale * inner * cols,
        bytes: 4 * rows * scale * (inner + cols),
        rate: H200.cachedFmaRate,
      }];
    },
  })),
  {
    // The stem's filter gradient: a workgroup row per filter element, each
    // lane reading its pixels' x and dy (a 32-byte sector apiece) from L2.
    prefix: "pcdarts_conv_filter_gradient",
    program: "pcdarts_conv_filter_gradient",
    before: ["Conv2DDerFilterProgram2"],
    model: "strided (L2)",
    cost: (d, scale) => {
      const [, dy] = d.inputs;
      const pixels = size(dy.slice(0, 3)) * scale;
      const [elements, chunks] = d.workgroups;
      return [{
        fmas: pixels * elements,
        bytes: 4 * chunks * elements,
        l2Bytes: 2 * 32 * pixels * elements,
        rate: H200.cachedFmaRate,
      }, ...chunkSum(chunks, elements)];
    },
  },
];

const { values } = parseArgs({
  args: Deno.args,
  options: {
    batch: { type: "string", default: "2" },
    out: { type: "string", default: "results/gpu/predictions_h200.csv" },
    before: { type: "string", default: "results/gpu/ours_gpu_time.csv" },
  },
});
const batch = Number(values.batch);
if (!Number.isInteger(batch) || batch < 1 || PAPER_BATCH % batch !== 0) {
  console.error(
    `program_predictions: --batch must divide ${PAPER_BATCH}, got ${values.batch}`,
  );
  Deno.exit(2);
}
const scale = PAPER_BATCH / batch;

const backend = await initBackend("webgpu");
const internals = tf.backend() as unknown as {
  runWebGPUProgram(
    program: { shaderKey?: string; dispatch?: number[] },
    inputs: tf.TensorInfo[],
    ...rest: unknown[]
  ): tf.TensorInfo;
  time(f: () => void): Promise<unknown>;
};
const recorded: Dispatch[] = [];
let recording = false;
const run = internals.runWebGPUProgram.bind(internals);
internals.runWebGPUProgram = (program, inputs, ...rest) => {
  const info = run(program, inputs, ...rest);
  if (recording) {
    recorded.push({
      key: program.shaderKey ?? "",
      inputs: inputs.map((t) => [...t.shape]),
      output: [...info.shape],
      workgroups: [...(program.dispatch ?? [])],
    });
  }
  return info;
};
// The weight-step gradient is what measureSearchStep times with gpuTime.
const time = internals.time.bind(internals);
internals.time = async (f) => {
  recording = true;
  try {
    return await time(f);
  } finally {
    recording = false;
  }
};
// The reductions split the recorded batch as they split the paper's.
const options = setExecutionOptions({ reductionChunk: PAPER_CHUNK / scale });
await measureSearchStep({
  channels: 16,
  layers: 8,
  imageSize: 32,
  batchSize: batch,
  partialChannels: 4,
  edgeNormalization: true,
  warmup: 0,
  steps: 0,
  profile: false,
  gpuTime: true,
});
setExecutionOptions(options);

let before: Record<string, string>[] = [];
try {
  before = parse(Deno.readTextFileSync(values.before!), { columns: true });
} catch {
  // No earlier measurement: the columns stay empty.
}
const context = {
  ...await machineContext(`predictions-${runStamp()}`, backend),
  dataset: "cifar10",
  image_size: 32,
  channels: 16,
  layers: 8,
  seed: 0,
};
/** A predictions row from modelled dispatches. */
function row(
  program: string,
  model: string,
  costs: Cost[],
  beforePrograms: string[],
) {
  const old = before.filter((r) =>
    beforePrograms.includes(r.program) &&
    r.batch_size === String(PAPER_BATCH) && r.reductions.startsWith("two-level")
  );
  return {
    ...context,
    program,
    batch_size: PAPER_BATCH,
    recorded_batch: batch,
    dispatches: costs.length,
    flops: 2 * costs.reduce((a, c) => a + c.fmas, 0),
    bytes: costs.reduce((a, c) => a + c.bytes, 0),
    model,
    predicted_ms: Number(
      (costs.reduce((a, c) => a + seconds(c), 0) * 1e3).toFixed(2),
    ),
    before_program: beforePrograms.join(" + "),
    before_dispatches: old.length
      ? old.reduce((a, r) => a + Number(r.dispatches), 0)
      : "",
    before_ms: old.length
      ? Number(old.reduce((a, r) => a + Number(r.gpu_ms), 0).toFixed(1))
      : "",
  };
}

const sums: Cost[] = [];
const rows = PROGRAMS.map((p) => {
  const costs = recorded.filter((d) => d.key.startsWith(p.prefix)).flatMap((
    d,
  ) => p.cost(d, scale));
  sums.push(...costs.filter((c) => c.chunkSum));
  return row(
    p.program,
    p.model,
    costs.filter((c) => !c.chunkSum),
    p.before,
  );
});
// The measured pcdarts_sum_chunks also holds the batch norms' chunk sums.
rows.push(row("pcdarts_sum_chunks", "cached", sums, ["pcdarts_sum_chunks_1"]));
await writeCsvAtomic(
  values.out!,
  columnsFor(GPU_PROGRAM_PREDICTIONS_SCHEMA, rows) as (keyof typeof rows[0])[],
  rows,
);
console.table(
  rows.map((r) => ({
    program: r.program,
    dispatches: r.dispatches,
    GFLOP: (r.flops / 1e9).toFixed(1),
    MB: (r.bytes / 1e6).toFixed(0),
    predicted_ms: r.predicted_ms,
    before: `${r.before_program} ${r.before_dispatches} / ${r.before_ms} ms`,
  })),
);
