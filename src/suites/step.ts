/**
 * The step suite: one fixed step configuration's time, memory, kernels, CPU
 * use and arithmetic rate.
 */
import {
  registerBenchSuite,
  type SuiteSettings,
} from "../bench/suite_registry.ts";
import {
  STEP_CONFIGS,
  stepSuite,
  type SuiteRow,
} from "../bench/suite_measurements.ts";
import { networkContext } from "./network_context.ts";
import { findCifar10Folder } from "../data/cifar10.ts";
import { referenceStepTime } from "../bench/reference_step_time.ts";
import { CONTEXT_COLUMNS, type CsvSchema } from "../bench/csv_schema.ts";

/** Its CSV: one row per timed configuration. */
export const STEP_SUITE_SCHEMA: CsvSchema = {
  name: "step suite",
  files: "results/bench/<run>/step.csv, results/step/*.csv",
  columns: [
    ...CONTEXT_COLUMNS,
    "config",
    "k",
    "edge_normalization",
    "batch_size",
    "recompute_cells",
    "median_ms",
    "min_ms",
    "max_ms",
    "steps",
    "peak_bytes",
    "peak_buffer_bytes",
    "kernels_per_step",
    "gpu_dispatches_per_step",
    "host_ms_per_step",
    "process_cpu_ms_per_step",
    "flops_per_step",
    "gflops",
    "peak_gflops",
    "peak_gb_per_s",
    "roofline_ms",
    "roofline_fraction",
    "kernel_ms_per_step",
    "reference_threads",
    "reference_median_ms",
    "ratio_to_reference",
  ],
};

/** The kernel kinds of a timed step (the step and training-step suites). */
export const STEP_KERNEL_KINDS_SCHEMA: CsvSchema = {
  name: "step kernel kinds",
  files:
    "results/bench/<run>/step-<config>-kernels.csv, results/step/*-kernels.csv",
  columns: [
    ...CONTEXT_COLUMNS,
    "config",
    "batch_size",
    "kind",
    "calls",
    "flops",
    "min_bytes",
    "bound_ms",
    "measured_ms",
    "above_bound_ms",
  ],
};

/** What a step row says, in lines for the terminal. */
function stepLines(s: SuiteSettings, r: SuiteRow): string[] {
  const lines = [
    `peak tensor bytes: ${r.peak_bytes} (${r.peak_buffer_bytes} in buffers, each once); kernels per step: ${r.kernels_per_step}; recomputed cells: ${r.recompute_cells}`,
  ];
  if (r.gpu_dispatches_per_step !== "") {
    lines.push(
      `GPU dispatches per step: ${r.gpu_dispatches_per_step}; host (main thread) ${r.host_ms_per_step} ms per step`,
    );
  }
  if (r.process_cpu_ms_per_step !== "") {
    const busy = Number(r.process_cpu_ms_per_step) / Number(r.median_ms);
    lines.push(
      `CPU of all threads: ${r.process_cpu_ms_per_step} ms per step, ${
        busy.toFixed(2)
      } cores busy`,
    );
  }
  lines.push(
    `step: ${
      stepConfigOf(s)
    } ${s.backend.name} ${r.median_ms} ms/step (${r.min_ms}-${r.max_ms} over ${r.steps} steps), ${
      (Number(r.flops_per_step) / 1e9).toFixed(2)
    } GFLOP/step, ${r.gflops} GFLOP/s`,
  );
  return lines;
}

/** The reference twin's step beside ours: its median and the ratio. */
async function referenceColumns(
  s: SuiteSettings,
  ours: SuiteRow,
): Promise<SuiteRow> {
  const folder = findCifar10Folder(s.dataDir);
  if (folder === null) {
    throw new Error(
      `--reference-threads feeds the reference CIFAR-10 images: none in ${s.dataDir} (set --data-dir or PCDARTS_DATA_DIR)`,
    );
  }
  s.log(
    `reference: the PyTorch twin's step on ${s.referenceThreads} threads (benchmarks/gpu/reference_step.py)`,
  );
  const reference = await referenceStepTime(
    stepConfigOf(s),
    s.referenceThreads,
    s.steps,
    `${folder}/data_batch_1.bin`,
  );
  return {
    reference_threads: s.referenceThreads,
    reference_median_ms: reference.medianMs,
    ratio_to_reference: +(Number(ours.median_ms) / reference.medianMs)
      .toFixed(3),
  };
}

/** The roofline's bound against the measured step, and the top 10 kinds. */
function rooflineLines(r: SuiteRow, kinds: SuiteRow[]): string[] {
  const ms = (v: unknown) => Number(v).toFixed(1).padStart(8);
  return [
    `roofline: bound ${r.roofline_ms} ms (peak ${r.peak_gflops} GFLOP/s, ${r.peak_gb_per_s} GB/s), measured ${r.median_ms} ms: ${
      (100 * Number(r.roofline_fraction)).toFixed(1)
    } % of the bound's speed; ${r.kernel_ms_per_step} ms inside counted kernels`,
    `top 10 kernel kinds by time above their bound (profiled step):`,
    `  ${"kind".padEnd(32)} ${"calls".padStart(6)} ${"bound ms".padStart(8)} ${
      "measured".padStart(8)
    } ${"above".padStart(8)}`,
    ...kinds.slice(0, 10).map((k) =>
      `  ${String(k.kind).padEnd(32)} ${String(k.calls).padStart(6)} ${
        ms(k.bound_ms)
      } ${ms(k.measured_ms)} ${ms(k.above_bound_ms)}`
    ),
  ];
}

/** The step suite's configuration: `--config`, else tiny. */
function stepConfigOf(s: SuiteSettings): string {
  return s.stepConfig ?? "tiny";
}

registerBenchSuite({
  name: "step",
  inAll: false,
  schemas: [STEP_SUITE_SCHEMA, STEP_KERNEL_KINDS_SCHEMA],
  check(s) {
    if (s.referenceThreads > 0 && stepConfigOf(s) === "host") {
      throw new Error(
        "--reference-threads: the reference twin has no host configuration; choose --config tiny, small or paper",
      );
    }
    if (!(stepConfigOf(s) in STEP_CONFIGS)) {
      throw new Error(
        `unknown step config "${stepConfigOf(s)}"; choose ${
          Object.keys(STEP_CONFIGS).join(", ")
        }`,
      );
    }
    return Promise.resolve();
  },
  async run(s) {
    const config = stepConfigOf(s) as keyof typeof STEP_CONFIGS;
    const { rows, kinds } = await stepSuite(config, s.steps, s.recomputeCells);
    if (s.referenceThreads > 0) {
      Object.assign(rows[0], await referenceColumns(s, rows[0]));
    }
    const spec = STEP_CONFIGS[config];
    const context = {
      ...networkContext(s.size),
      image_size: spec.imageSize,
      channels: spec.channels,
      layers: spec.layers,
    };
    return {
      files: [
        { name: `step-${config}`, schema: STEP_SUITE_SCHEMA, rows, context },
        {
          name: `step-${config}-kernels`,
          schema: STEP_KERNEL_KINDS_SCHEMA,
          rows: kinds,
          context,
        },
      ],
      // The step's own figure last.
      lines: [
        ...rooflineLines(rows[0], kinds),
        ...(rows[0].reference_median_ms === undefined ? [] : [
          `reference (PyTorch twin, ${rows[0].reference_threads} thread${
            rows[0].reference_threads === 1 ? "" : "s"
          }): ${
            rows[0].reference_median_ms
          } ms/step; ours over the reference: ${rows[0].ratio_to_reference}x`,
        ]),
        ...stepLines(s, rows[0]),
      ],
    };
  },
});
