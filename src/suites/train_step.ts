/**
 * The training-step suite: the evaluation network's training step (the
 * reference's train.py step) at one configuration: time, memory, kernels, CPU
 * use and roofline; with `--reference-threads N`, the PyTorch twin's step
 * beside it and the ratio.
 */
import { registerBenchSuite } from "../bench/suite_registry.ts";
import {
  TRAIN_STEP_CONFIGS,
  type TrainStepConfig,
  trainStepSuite,
} from "../bench/train_step_measurement.ts";
import { referenceTrainStepTime } from "../bench/reference_train_step_time.ts";
import { describeTrainMemory, fitTrainingStep } from "../train/train_memory.ts";
import { PC_DARTS_cifar } from "../train/genotypes.ts";
import { networkContext } from "./network_context.ts";
import { STEP_KERNEL_KINDS_SCHEMA } from "./step.ts";
import { CONTEXT_COLUMNS, type CsvSchema } from "../bench/csv_schema.ts";

/** Its CSV: one row per timed configuration. */
export const TRAIN_STEP_SUITE_SCHEMA: CsvSchema = {
  name: "training-step suite",
  files:
    "results/bench/<run>/train-step-<config>.csv, results/step/train-*.csv",
  columns: [
    ...CONTEXT_COLUMNS,
    "config",
    "genotype_name",
    "auxiliary",
    "drop_path",
    "batch_size",
    "recompute_cells",
    "median_ms",
    "min_ms",
    "max_ms",
    "steps",
    "peak_bytes",
    "peak_buffer_bytes",
    "kernels_per_step",
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

/** The configuration `--config` names, or the suite's default. */
function configOf(name: string | undefined): TrainStepConfig {
  return (name ?? "cpu") as TrainStepConfig;
}

registerBenchSuite({
  name: "train-step",
  inAll: false,
  schemas: [TRAIN_STEP_SUITE_SCHEMA],
  check(s) {
    const config = configOf(s.stepConfig);
    if (!(config in TRAIN_STEP_CONFIGS)) {
      return Promise.reject(
        new Error(
          `unknown training-step config "${config}"; choose ${
            Object.keys(TRAIN_STEP_CONFIGS).join(", ")
          }`,
        ),
      );
    }
    return Promise.resolve();
  },
  async run(s) {
    const config = configOf(s.stepConfig);
    if (typeof s.recomputeCells === "number") {
      throw new Error(
        `--recompute-cells ${s.recomputeCells}: the train-step suite recomputes every cell or none; give true or false`,
      );
    }
    // A step past the backend's memory would not fail fast (wasm's heap grows
    // until it cannot): it is measured at two small batches first, and its
    // cells recomputed only where the plain step does not fit.
    const c = TRAIN_STEP_CONFIGS[config];
    const fit = await fitTrainingStep(
      {
        config: { ...c, recomputeCells: s.recomputeCells ?? false },
        genotype: PC_DARTS_cifar,
        imageSide: c.imageSize,
        numClasses: 10,
        inputChannels: 3,
      },
      s.backend.name,
      s.recomputeCells !== undefined,
    );
    if (fit.recomputeCells === null) {
      throw new Error(
        `the ${config} training step needs ${
          describeTrainMemory(fit.tried.at(-1)!, s.backend.name)
        }: ${
          s.recomputeCells === false
            ? "leave out --recompute-cells false, or choose"
            : "choose"
        } a backend with more memory (--backend)`,
      );
    }
    const recompute = fit.recomputeCells;
    s.log(
      `recomputed cells: ${recompute ? "yes" : "no"}${
        s.recomputeCells === undefined && recompute
          ? " (the plain step does not fit the backend's memory)"
          : ""
      }`,
    );
    const { rows, kinds } = await trainStepSuite(config, s.steps, recompute);
    const row = rows[0];
    const lines: string[] = [];
    if (s.referenceThreads > 0) {
      s.log(
        `reference: the PyTorch twin's training step on ${s.referenceThreads} threads (benchmarks/reference_train_step.py)`,
      );
      const reference = await referenceTrainStepTime(
        config,
        s.referenceThreads,
        s.steps,
      );
      Object.assign(row, {
        reference_threads: s.referenceThreads,
        reference_median_ms: +reference.medianMs.toFixed(1),
        ratio_to_reference: +(Number(row.median_ms) / reference.medianMs)
          .toFixed(3),
      });
      lines.push(
        `reference (${reference.runtime}, ${s.referenceThreads} threads): ${row.reference_median_ms} ms/step; ours over the reference: ${row.ratio_to_reference}x`,
      );
    }
    const busy = Number(row.process_cpu_ms_per_step) / Number(row.median_ms);
    lines.push(
      `roofline: bound ${row.roofline_ms} ms, measured ${row.median_ms} ms: ${
        (100 * Number(row.roofline_fraction)).toFixed(1)
      } % of the bound's speed`,
      `train step: ${config} ${s.backend.name} ${row.median_ms} ms/step (${row.min_ms}-${row.max_ms} over ${row.steps} steps), ${
        busy.toFixed(2)
      } cores busy, ${row.gflops} GFLOP/s`,
    );
    const context = {
      ...networkContext(s.size),
      image_size: c.imageSize,
      channels: c.channels,
      layers: c.layers,
    };
    return {
      files: [
        {
          name: `train-step-${config}`,
          schema: TRAIN_STEP_SUITE_SCHEMA,
          rows,
          context,
        },
        {
          name: `train-step-${config}-kernels`,
          schema: STEP_KERNEL_KINDS_SCHEMA,
          rows: kinds,
          context,
        },
      ],
      lines,
    };
  },
});
