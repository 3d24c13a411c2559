/**
 * Every column of every CSV the project writes, declared once: its type, its
 * unit, and its role in a comparison.
 *
 * - `context`: where and when a row was measured (machine, commit, time); never
 *   part of a row's identity.
 * - `key`: what was measured (configuration); rows of two files match when all
 *   their key columns agree.
 * - `metric`: a measurement, compared by its rule.
 * - `output`: a result that identifies nothing and is not compared (a genotype,
 *   a count of runs).
 *
 * `compare` refuses a file with a column missing here, so a new measurement
 * cannot silently become part of the key. `docs/csv_schemas.md` is generated
 * from these tables (`deno task docs`).
 */

import { EPOCH_COLUMNS } from "../search/epoch_row.ts";
import { ARCHITECTURE_WEIGHT_COLUMNS } from "../search/architecture_trace.ts";
import { TRAIN_EPOCH_COLUMNS } from "../train/train_epoch_row.ts";

/** How a metric is compared. */
export interface MetricRule {
  /**
   * `relative`: |new − base| ≤ tolerance · |base|; `ratio`: new/base within
   * [1/tolerance, tolerance]; `spread`: |new − base| ≤ max(2 · the baseline's
   * seed spread, tolerance).
   */
  kind: "relative" | "ratio" | "spread";
  /** The tolerance (see kind). */
  tolerance: number;
  /** Whether a larger value is worse. */
  higherIsWorse: boolean;
}

/** One declared column. */
export interface ColumnSpec {
  /** Value type as written. */
  type: "string" | "integer" | "number" | "boolean" | "json";
  /** Unit (empty when none). */
  unit: string;
  /** Role in a comparison. */
  role: "context" | "key" | "metric" | "output";
  /** The comparison rule (metrics only). */
  rule?: MetricRule;
  /** What it holds. */
  about: string;
}

const deterministic = (higherIsWorse: boolean): MetricRule => ({
  kind: "relative",
  tolerance: 0.01,
  higherIsWorse,
});
const timing = (higherIsWorse: boolean, tolerance = 3): MetricRule => ({
  kind: "ratio",
  tolerance,
  higherIsWorse,
});
/** A seeded run reproduces its losses to float32 rounding on one backend. */
const reproduced = (higherIsWorse: boolean): MetricRule => ({
  kind: "relative",
  tolerance: 1e-5,
  higherIsWorse,
});
const errorRule: MetricRule = {
  kind: "spread",
  tolerance: 0.02,
  higherIsWorse: true,
};

const context = (
  type: ColumnSpec["type"],
  unit: string,
  about: string,
): ColumnSpec => ({ type, unit, role: "context", about });
const key = (
  type: ColumnSpec["type"],
  unit: string,
  about: string,
): ColumnSpec => ({ type, unit, role: "key", about });
const metric = (
  type: ColumnSpec["type"],
  unit: string,
  rule: MetricRule,
  about: string,
): ColumnSpec => ({ type, unit, role: "metric", rule, about });
const output = (
  type: ColumnSpec["type"],
  unit: string,
  about: string,
): ColumnSpec => ({ type, unit, role: "output", about });

/** Every column, by name. */
export const COLUMNS: Record<string, ColumnSpec> = {
  // The context every benchmark row starts with.
  run_id: context("string", "", "the run that wrote the row"),
  time_utc: context("string", "ISO 8601", "when the run started"),
  git_commit: context("string", "", "commit of the code"),
  git_dirty: context("boolean", "", "uncommitted changes in the tree"),
  deno: context("string", "", "Deno version"),
  tfjs: context("string", "", "TensorFlow.js version"),
  backend: key(
    "string",
    "",
    "the tfjs backend's name (deno task bench --help lists them)",
  ),
  device: context("string", "", "the device in words"),
  cpu: context("string", "", "host CPU model"),
  cores: context("integer", "", "host logical cores"),
  memory_gib: context("number", "GiB", "host memory"),
  execution: context(
    "string",
    "",
    "execution options in force (executionLabel: the switches on, then the settings)",
  ),
  dataset: key("string", "", "data set (random-10-class: random images)"),
  image_size: key("integer", "pixels", "image side"),
  channels: key("integer", "", "initial channels C"),
  layers: key("integer", "", "cells"),
  seed: key("integer", "", "seed of everything random"),
  // Configuration.
  k: key("integer", "", "K of partial channel connections (1/K processed)"),
  edge_normalization: key("boolean", "", "edge normalization on"),
  genotype_name: key(
    "string",
    "",
    "the cell trained (a built-in genotype's name)",
  ),
  auxiliary: key(
    "boolean",
    "",
    "the auxiliary head trained beside the classifier",
  ),
  arm: key(
    "string",
    "",
    "an ablation arm's label (k2, k4-noen, b256); empty: the method's own settings",
  ),
  partial_channels: key(
    "integer",
    "",
    "the search's K (empty: the method's)",
  ),
  search_lr: key(
    "number",
    "",
    "the search's weight learning rate (empty: the method's)",
  ),
  search_channels: key(
    "integer",
    "",
    "the search network's initial channels (empty: the size's)",
  ),
  genotype_file: key(
    "string",
    "",
    "the genotype file a row trains without a search (empty: a method's or reference cell's)",
  ),
  batch_size: key("integer", "images", "images per step"),
  method: key("string", "", "search method or reference cell"),
  budget: key(
    "string",
    "",
    "a sweep's search budget (e<epochs>); empty: the size's own",
  ),
  search_epochs: key("integer", "", "search epochs (empty: the size's)"),
  warmup_epochs: key(
    "integer",
    "",
    "epochs before architecture steps (empty: the size's)",
  ),
  train_epochs: key("integer", "", "training epochs (empty: the size's)"),
  train_subset: key(
    "integer",
    "images",
    "class-balanced training images (empty: the size's)",
  ),
  train_image_side: key(
    "integer",
    "pixels",
    "side the training images are averaged to (empty: the size's)",
  ),
  second_order: key("boolean", "", "unrolled architecture gradient"),
  steps_per_epoch: key("integer", "steps", "weight steps in an epoch"),
  epochs: key("integer", "", "epochs of the projected search"),
  config: key(
    "string",
    "",
    "step-suite configuration (tiny, small, paper, host)",
  ),
  recompute_cells: key(
    "string",
    "",
    "cells recomputed in the backward pass: true (every cell), false, or N (the first N)",
  ),
  memory_budget_bytes: key("integer", "bytes", "the budget of max batch"),
  index: key("integer", "", "row of the grid manifest"),
  size: key("string", "", "search and training size"),
  submission: key("string", "", "how WebGPU work was submitted"),
  measure: key("string", "", "what a GPU summary row compares"),
  reductions: key("string", "", "the WGSL reduction kernels in use"),
  program: key("string", "", "the GPU program timed"),
  fixture: key("string", "", "parity fixture file"),
  threads: key("integer", "", "PyTorch threads"),
  draw: key("string", "", "a random draw (its number) or the fixture"),
  weights: key(
    "string",
    "",
    "how a draw's weights were drawn: scaled (N(0, 0.5²)), own (the network's initialization) or the fixture's",
  ),
  float64_move_images: output(
    "number",
    "",
    "the float64 unrolled architecture gradient's floored relative move when the images move by a relative 1e-6 (PyTorch twin)",
  ),
  reference_float32_move_images: output(
    "number",
    "",
    "the same move of the twin's float32 gradient",
  ),
  ours_move_images: output(
    "number",
    "",
    "the same move of our float32 gradient on this row's backend",
  ),
  float64_move_all: output(
    "number",
    "",
    "the float64 gradient's move when images, weights and alphas all move by a relative 1e-6",
  ),
  reference_float32_move_all: output(
    "number",
    "",
    "the same move of the twin's float32 gradient",
  ),
  ours_move_all: output(
    "number",
    "",
    "the same move of our float32 gradient",
  ),
  reference_float32_vs_float64: output(
    "number",
    "",
    "the twin's float32 gradient's floored relative error from float64 at the draw",
  ),
  ours_vs_float64: output(
    "number",
    "",
    "our float32 gradient's floored relative error from float64 at the draw",
  ),
  code: key("string", "", "the code measured"),
  version: key("string", "", "its version"),
  date: context("string", "YYYY-MM-DD", "day measured"),
  epoch: key("integer", "", "epoch, 0-based"),
  cell: key("string", "", "normal or reduce"),
  a: key("string", "", "a group of rows: method, method/arm or method/budget"),
  b: key("string", "", "the group a is compared with"),
  a_runs: output("integer", "", "rows (seeds) of a"),
  b_runs: output("integer", "", "rows (seeds) of b"),
  a_error_mean: metric("number", "fraction", errorRule, "a's mean test error"),
  b_error_mean: metric("number", "fraction", errorRule, "b's mean test error"),
  difference: metric(
    "number",
    "fraction",
    errorRule,
    "a's mean test error minus b's",
  ),
  difference_low: output(
    "number",
    "fraction",
    "the difference's Welch 95 % interval, low end",
  ),
  difference_high: output(
    "number",
    "fraction",
    "the difference's Welch 95 % interval, high end",
  ),
  df: output("number", "", "Welch-Satterthwaite degrees of freedom"),
  decided: output("boolean", "", "the interval excludes 0"),
  edge: key("integer", "", "edge of the cell (0-13 for four nodes)"),
  node: key("integer", "", "intermediate node the edge enters, 0-based"),
  input: key(
    "integer",
    "",
    "state the edge leaves (0, 1: the cell's inputs; 2+: its nodes)",
  ),
  op: key("string", "", "the candidate operation"),
  weight: metric(
    "number",
    "fraction",
    reproduced(false),
    "the operation's share of the edge: softmax of the edge's alphas",
  ),
  edge_weight: metric(
    "number",
    "fraction",
    reproduced(false),
    "the edge's weight among its node's edges: softmax of the node's betas (empty without edge normalization)",
  ),
  // Memory.
  peak_bytes: metric(
    "integer",
    "bytes",
    deterministic(true),
    "peak live tensor bytes of a step",
  ),
  peak_buffer_bytes: metric(
    "integer",
    "bytes",
    deterministic(true),
    "peak bytes of live buffers, each once",
  ),
  peak_bytes_half_batch: metric(
    "integer",
    "bytes",
    deterministic(true),
    "peak_bytes at half the batch",
  ),
  bytes_per_sample: metric(
    "number",
    "bytes",
    deterministic(true),
    "peak bytes added per image",
  ),
  fixed_bytes: metric(
    "number",
    "bytes",
    deterministic(true),
    "peak bytes at zero images",
  ),
  ratio_to_k1: metric(
    "number",
    "",
    deterministic(true),
    "peak_bytes over K=1's",
  ),
  max_batch_under_budget: metric(
    "integer",
    "images",
    deterministic(false),
    "largest batch within the budget",
  ),
  rss_bytes: metric(
    "integer",
    "bytes",
    timing(true, 2),
    "process resident memory",
  ),
  max_memory_allocated: metric(
    "integer",
    "bytes",
    deterministic(true),
    "PyTorch's peak CUDA allocation",
  ),
  // Work and time.
  kernels_per_step: metric(
    "integer",
    "kernels",
    deterministic(true),
    "kernels dispatched in a step",
  ),
  kernels: metric(
    "integer",
    "kernels",
    deterministic(true),
    "kernels dispatched",
  ),
  gpu_dispatches_per_step: metric(
    "integer",
    "dispatches",
    deterministic(true),
    "GPU compute dispatches in a step (webgpu; empty elsewhere)",
  ),
  host_ms_per_step: metric(
    "number",
    "ms",
    timing(true),
    "main thread's CPU time in a step, waits for the GPU excluded (Linux; empty elsewhere)",
  ),
  process_cpu_ms_per_step: metric(
    "number",
    "ms",
    timing(true),
    "CPU time of all the process's threads per timed step (node:process cpuUsage): over median_ms, the cores a step keeps busy",
  ),
  dispatches: metric(
    "integer",
    "dispatches",
    deterministic(true),
    "GPU dispatches of the program",
  ),
  flops_per_step: metric("integer", "FLOP", {
    kind: "relative",
    tolerance: 0.001,
    higherIsWorse: true,
  }, "floating-point operations of a step"),
  gflops: metric(
    "number",
    "GFLOP/s",
    timing(false),
    "flops_per_step over median_ms",
  ),
  median_ms: metric("number", "ms", timing(true), "median step time"),
  min_ms: metric(
    "number",
    "ms",
    timing(true),
    "the fastest timed step: with max_ms, how far the machine moved a step while it was measured",
  ),
  max_ms: metric("number", "ms", timing(true), "the slowest timed step"),
  peak_gflops: metric(
    "number",
    "GFLOP/s",
    timing(false),
    "the machine's floating-point ceiling on this backend: the better of a 1024² matrix product's best and, where the backend has kernels of its own, their multiply-adds in registers (wasm: SIMD, compute_peak.ts) (machine_peak.ts)",
  ),
  peak_gb_per_s: metric(
    "number",
    "GB/s",
    timing(false),
    "the machine's memory ceiling: the best STREAM-like triad over 64 MiB arrays, in the backend's own kernels where it has them (machine_peak.ts)",
  ),
  roofline_ms: metric(
    "number",
    "ms",
    timing(true),
    "the step's lower bound: each counted kernel at the larger of its FLOPs over peak_gflops and its minimal bytes over peak_gb_per_s, summed (roofline.ts)",
  ),
  roofline_fraction: metric(
    "number",
    "fraction",
    timing(false),
    "roofline_ms over median_ms: how close the step runs to the bound",
  ),
  kernel_ms_per_step: metric(
    "number",
    "ms",
    timing(true),
    "wall time inside the counted kernels in the profiled step (the rest of median_ms is tfjs' engine, the ops' JavaScript and uncounted host kernels)",
  ),
  reference_threads: key(
    "integer",
    "",
    "the reference twin's CPU threads (empty: not run)",
  ),
  reference_median_ms: metric(
    "number",
    "ms",
    timing(true),
    "the reference PyTorch twin's median step time at the same shapes, in the same run",
  ),
  ratio_to_reference: metric(
    "number",
    "",
    timing(true),
    "median_ms over reference_median_ms",
  ),
  kind: key(
    "string",
    "",
    "a kernel's kind: a tfjs kernel's name, or 'simd <kernel>' for wasm's own",
  ),
  calls: output("integer", "", "calls in the profiled step"),
  min_bytes: output(
    "integer",
    "bytes",
    "minimal bytes: inputs read once, outputs written once",
  ),
  bound_ms: metric(
    "number",
    "ms",
    timing(true),
    "the calls' roofline bound, summed",
  ),
  measured_ms: metric(
    "number",
    "ms",
    timing(true),
    "the calls' measured wall time, summed",
  ),
  above_bound_ms: metric(
    "number",
    "ms",
    timing(true),
    "measured_ms less bound_ms",
  ),
  median_step_ms: metric("number", "ms", timing(true), "median step time"),
  images_per_s: metric(
    "number",
    "images/s",
    timing(false),
    "batch_size over median_ms",
  ),
  seconds_per_epoch: metric(
    "number",
    "s",
    timing(true),
    "projected epoch time",
  ),
  projected_search_days: metric(
    "number",
    "days",
    timing(true),
    "projected search time",
  ),
  gpu_ms: metric("number", "ms", timing(true), "GPU time of the program"),
  recorded_batch: key(
    "integer",
    "images",
    "batch whose dispatches were recorded (then scaled to batch_size)",
  ),
  flops: metric(
    "number",
    "FLOP",
    deterministic(true),
    "floating-point operations (an FMA is 2)",
  ),
  bytes: metric(
    "number",
    "bytes",
    deterministic(true),
    "bytes the model moves to and from GPU memory",
  ),
  model: output(
    "string",
    "",
    "where the operands come from: staged (workgroup memory), tiled, cached (L1)",
  ),
  predicted_ms: metric(
    "number",
    "ms",
    deterministic(true),
    "modelled GPU time on an H200",
  ),
  before_program: output("string", "", "the program it replaced"),
  before_dispatches: output(
    "integer",
    "",
    "that program's dispatches in the committed GPU run",
  ),
  before_ms: output(
    "number",
    "ms",
    "that program's GPU time in the committed GPU run",
  ),
  consecutive_total_ms: metric(
    "number",
    "ms",
    timing(true),
    "wall time of consecutive steps",
  ),
  ours: metric(
    "number",
    "ms or bytes",
    timing(true),
    "our value of the measure",
  ),
  torch: metric(
    "number",
    "ms or bytes",
    timing(true),
    "PyTorch's value of the measure",
  ),
  ours_over_torch: metric("number", "", timing(true), "ours / torch"),
  ours_buffers: metric(
    "number",
    "bytes",
    timing(true),
    "memory rows: our peak_buffer_bytes (each buffer once)",
  ),
  buffers_over_torch: metric(
    "number",
    "",
    timing(true),
    "ours_buffers / torch",
  ),
  ours_consecutive_total_ms: metric(
    "number",
    "ms",
    timing(true),
    "our consecutive steps' wall time",
  ),
  torch_consecutive_total_ms: metric(
    "number",
    "ms",
    timing(true),
    "PyTorch's consecutive steps' wall time",
  ),
  seconds: metric("number", "s", timing(true), "wall seconds"),
  cpu_seconds: metric(
    "number",
    "s",
    timing(true),
    "CPU seconds of all the process's threads (node:process cpuUsage; absent in rows written before it existed)",
  ),
  search_seconds: metric(
    "number",
    "s",
    timing(true),
    "wall seconds of the search",
  ),
  search_cpu_seconds: metric(
    "number",
    "s",
    timing(true),
    "CPU seconds of the search process's threads, summed over its epochs: unlike wall seconds, unmoved by other work on the machine or by a paused process",
  ),
  search_seconds_mean: metric("number", "s", timing(true), "mean over seeds"),
  search_cpu_seconds_mean: metric(
    "number",
    "s",
    timing(true),
    "mean over seeds of search_cpu_seconds, where every row records it",
  ),
  train_seconds_mean: metric("number", "s", timing(true), "mean over seeds"),
  params_mean: output(
    "integer",
    "",
    "mean over seeds of params, rounded",
  ),
  train_seconds: metric(
    "number",
    "s",
    timing(true),
    "wall seconds of the training",
  ),
  max_output_error: metric(
    "number",
    "",
    deterministic(true),
    "worst relative output error",
  ),
  max_gradient_error: metric(
    "number",
    "",
    deterministic(true),
    "worst relative gradient error",
  ),
  // Errors and losses.
  test_error: metric("number", "fraction", errorRule, "final-epoch test error"),
  test_error_mean: metric("number", "fraction", errorRule, "mean over seeds"),
  lr: metric(
    "number",
    "",
    reproduced(true),
    "weight learning rate of the epoch",
  ),
  drop_path: metric(
    "number",
    "",
    reproduced(true),
    "drop-path probability of the epoch",
  ),
  train_loss: metric("number", "nats", reproduced(true), "mean training loss"),
  train_acc: metric(
    "number",
    "fraction",
    reproduced(false),
    "training accuracy",
  ),
  arch_loss: metric(
    "number",
    "nats",
    reproduced(true),
    "mean loss of the architecture steps",
  ),
  valid_loss: metric(
    "number",
    "nats",
    reproduced(true),
    "validation loss, evaluation mode",
  ),
  valid_acc: metric(
    "number",
    "fraction",
    reproduced(false),
    "validation accuracy",
  ),
  test_loss: metric("number", "nats", reproduced(true), "test loss"),
  test_acc: metric("number", "fraction", reproduced(false), "test accuracy"),
  test_top5_acc: metric(
    "number",
    "fraction",
    reproduced(false),
    "test top-5 accuracy",
  ),
  peak_tensor_bytes: metric(
    "integer",
    "bytes",
    deterministic(true),
    "peak live tensor bytes of the epoch's first step",
  ),
  op_entropy: metric(
    "number",
    "nats",
    reproduced(false),
    "mean entropy of the edges' operation weights, both cells",
  ),
  edge_entropy: metric(
    "number",
    "nats",
    reproduced(false),
    "mean entropy of the nodes' edge weights (empty without edge normalization)",
  ),
  picks_changed: metric(
    "integer",
    "picks",
    deterministic(true),
    "(node, input, operation) picks of the cell that differ from the previous epoch's, of 16",
  ),
  // Outputs.
  genotype: output("json", "", "the cell, as the fixtures' JSON"),
  days_unit: output("string", "", "what a day is (GPU or CPU days)"),
  test_images: output("integer", "images", "test images evaluated"),
  params: output("integer", "", "parameters without the auxiliary head"),
  edges_changed_last_epoch: output(
    "integer",
    "",
    "edges (of 16) whose input or operation the last search epoch changed",
  ),
  param_free_normal_edges: output(
    "integer",
    "",
    "normal-cell edges (of 8) that are pooling or skip connections",
  ),
  search_valid_acc: output(
    "number",
    "fraction",
    "the search's final validation accuracy (evaluation mode)",
  ),
  runs: output("integer", "", "runs averaged"),
  picks_agreement_mean: output(
    "number",
    "picks",
    "mean over pairs of seeds of the (node, input, operation) picks their cells share, of 16",
  ),
  steps: output("integer", "steps", "steps timed"),
  consecutive_steps: output("integer", "steps", "steps timed back to back"),
  test_error_std: output("number", "fraction", "standard deviation over seeds"),
  ok: output("boolean", "", "within the parity bars"),
  error: output(
    "string",
    "",
    "why a measurement failed (empty when it did not)",
  ),
};

/** One CSV file kind and its columns, in order. */
export interface CsvSchema {
  /** Name. */
  name: string;
  /** Where files of this kind are written. */
  files: string;
  /** Columns in order. */
  columns: readonly string[];
}

/** The context columns every benchmark row starts with. */
export const CONTEXT_COLUMNS = [
  "run_id",
  "time_utc",
  "git_commit",
  "git_dirty",
  "deno",
  "tfjs",
  "backend",
  "device",
  "cpu",
  "cores",
  "memory_gib",
  "execution",
  "dataset",
  "image_size",
  "channels",
  "layers",
  "seed",
] as const;

/** The GPU files in results/gpu/ predate their context columns. */
const NO_CONTEXT_YET = " (the committed run has no context columns)";

/** The error suite and grid rows CSV. */
export const ERROR_ROWS_SCHEMA: CsvSchema = {
  name: "error suite and grid rows",
  files:
    "results/bench/<run>/error.csv, results/error/error.csv, results/error/rows/<index>.csv",
  columns: [
    ...CONTEXT_COLUMNS,
    "index",
    "method",
    "size",
    "arm",
    "budget",
    "search_epochs",
    "warmup_epochs",
    "partial_channels",
    "edge_normalization",
    "batch_size",
    "search_lr",
    "search_channels",
    "train_epochs",
    "train_subset",
    "train_image_side",
    "search_seconds",
    "search_cpu_seconds",
    "train_seconds",
    "test_images",
    "test_error",
    "params",
    "edges_changed_last_epoch",
    "param_free_normal_edges",
    "search_valid_acc",
    "genotype",
  ],
};

/** The error summary CSV. */
export const ERROR_SUMMARY_SCHEMA: CsvSchema = {
  name: "error summary",
  files: "error_summary.csv beside an error.csv",
  columns: [
    ...CONTEXT_COLUMNS,
    "method",
    "arm",
    "budget",
    "runs",
    "test_error_mean",
    "test_error_std",
    "search_seconds_mean",
    "search_cpu_seconds_mean",
    "train_seconds_mean",
    "params_mean",
    "picks_agreement_mean",
  ],
};

/** The grid manifest CSV. */
export const GRID_MANIFEST_SCHEMA: CsvSchema = {
  name: "grid manifest",
  files: "results/error/manifest.csv",
  columns: [
    "index",
    "method",
    "seed",
    "size",
    "backend",
    "arm",
    "budget",
    "search_epochs",
    "warmup_epochs",
    "partial_channels",
    "edge_normalization",
    "batch_size",
    "search_lr",
    "search_channels",
    "train_epochs",
    "train_subset",
    "train_image_side",
    "genotype_file",
  ],
};

/** The search epochs CSV. */
export const SEARCH_EPOCHS_SCHEMA: CsvSchema = {
  name: "search epochs",
  files: "<search run>/epochs.csv",
  columns: EPOCH_COLUMNS,
};

/** The difference intervals CSV. */
export const DIFFERENCE_INTERVALS_SCHEMA: CsvSchema = {
  name: "difference intervals",
  files: "intervals.csv beside an error.csv (deno task grid intervals)",
  columns: [
    "a",
    "b",
    "a_runs",
    "b_runs",
    "a_error_mean",
    "b_error_mean",
    "difference",
    "difference_low",
    "difference_high",
    "df",
    "decided",
  ],
};

/** The search architecture weights CSV. */
export const ARCHITECTURE_WEIGHTS_SCHEMA: CsvSchema = {
  name: "search architecture weights",
  files: "<search run>/architecture_weights.csv",
  columns: ARCHITECTURE_WEIGHT_COLUMNS,
};

/** The PyTorch cpu-size search CSV. */
export const REFERENCE_CPU_SEARCH_SCHEMA: CsvSchema = {
  name: "PyTorch cpu-size search",
  files:
    "results/error/ablations/reference-pytorch/*.csv (benchmarks/reference_search_cpu.py)",
  columns: [
    "method",
    "seed",
    "epoch",
    "lr",
    "train_loss",
    "train_acc",
    "seconds",
    "genotype",
  ],
};

/** The training epochs CSV. */
export const TRAIN_EPOCHS_SCHEMA: CsvSchema = {
  name: "training epochs",
  files: "<training run>/epochs.csv",
  columns: TRAIN_EPOCH_COLUMNS,
};

/** The GPU steps (ours) CSV. */
export const GPU_STEPS_SCHEMA: CsvSchema = {
  name: "GPU steps (ours)",
  files: "results/gpu/ours_steps.csv" + NO_CONTEXT_YET +
    ", results/gpu/ours_imagenet_steps.csv",
  columns: [
    ...CONTEXT_COLUMNS,
    "method",
    "submission",
    "k",
    "edge_normalization",
    "batch_size",
    "median_ms",
    "consecutive_steps",
    "consecutive_total_ms",
    "error",
  ],
};

/** The GPU steps (PyTorch) CSV. */
export const GPU_REFERENCE_STEPS_SCHEMA: CsvSchema = {
  name: "GPU steps (PyTorch)",
  files: "results/gpu/torch_steps.csv" + NO_CONTEXT_YET +
    ", results/gpu/torch_imagenet_steps.csv",
  columns: [
    ...CONTEXT_COLUMNS,
    "method",
    "k",
    "edge_normalization",
    "batch_size",
    "median_ms",
    "consecutive_steps",
    "consecutive_total_ms",
    "error",
  ],
};

/** The GPU memory (ours) CSV. */
export const GPU_MEMORY_SCHEMA: CsvSchema = {
  name: "GPU memory (ours)",
  files: "results/gpu/ours_memory.csv" + NO_CONTEXT_YET,
  columns: [
    ...CONTEXT_COLUMNS,
    "k",
    "batch_size",
    "peak_bytes",
    "peak_buffer_bytes",
    "kernels",
    "seconds",
    "error",
  ],
};

/** The GPU memory (PyTorch) CSV. */
export const GPU_REFERENCE_MEMORY_SCHEMA: CsvSchema = {
  name: "GPU memory (PyTorch)",
  files: "results/gpu/torch_memory.csv" + NO_CONTEXT_YET,
  columns: [
    ...CONTEXT_COLUMNS,
    "k",
    "batch_size",
    "max_memory_allocated",
    "seconds",
    "error",
  ],
};

/** The GPU program time CSV. */
export const GPU_PROGRAM_TIME_SCHEMA: CsvSchema = {
  name: "GPU program time",
  files: "results/gpu/ours_gpu_time.csv" + NO_CONTEXT_YET,
  columns: [
    ...CONTEXT_COLUMNS,
    "method",
    "batch_size",
    "reductions",
    "program",
    "dispatches",
    "gpu_ms",
  ],
};

/** The GPU parity CSV. */
export const GPU_PARITY_SCHEMA: CsvSchema = {
  name: "GPU parity",
  files: "results/gpu/ours_parity.csv" + NO_CONTEXT_YET,
  columns: [
    ...CONTEXT_COLUMNS,
    "fixture",
    "max_output_error",
    "max_gradient_error",
    "ok",
    "seconds",
    "error",
  ],
};

/** The GPU program predictions CSV. */
export const GPU_PROGRAM_PREDICTIONS_SCHEMA: CsvSchema = {
  name: "GPU program predictions",
  files: "results/gpu/predictions_h200.csv",
  columns: [
    ...CONTEXT_COLUMNS,
    "program",
    "batch_size",
    "recorded_batch",
    "dispatches",
    "flops",
    "bytes",
    "model",
    "predicted_ms",
    "before_program",
    "before_dispatches",
    "before_ms",
  ],
};

/** The GPU summary CSV. */
export const GPU_SUMMARY_SCHEMA: CsvSchema = {
  name: "GPU summary",
  files: "results/gpu/summary.csv" + NO_CONTEXT_YET,
  columns: [
    ...CONTEXT_COLUMNS,
    "measure",
    "method",
    "submission",
    "k",
    "batch_size",
    "ours",
    "torch",
    "ours_over_torch",
    "ours_buffers",
    "buffers_over_torch",
    "ours_consecutive_total_ms",
    "torch_consecutive_total_ms",
    "error",
  ],
};

/** The unrolled gradient sensitivity CSV. */
export const UNROLLED_SENSITIVITY_SCHEMA: CsvSchema = {
  name: "unrolled gradient sensitivity",
  files:
    "results/parity/unrolled_sensitivity.csv (benchmarks/unrolled_sensitivity.ts)",
  columns: [
    "time_utc",
    "git_commit",
    "backend",
    "device",
    "draw",
    "seed",
    "weights",
    "layers",
    "float64_move_images",
    "reference_float32_move_images",
    "ours_move_images",
    "float64_move_all",
    "reference_float32_move_all",
    "ours_move_all",
    "reference_float32_vs_float64",
    "ours_vs_float64",
  ],
};

/** The PyTorch CPU steps CSV. */
export const REFERENCE_CPU_STEPS_SCHEMA: CsvSchema = {
  name: "PyTorch CPU steps",
  files: "results/step/torch-cpu-steps.csv",
  columns: [
    "date",
    "code",
    "version",
    "device",
    "threads",
    "config",
    "k",
    "edge_normalization",
    "batch_size",
    "median_ms",
    "steps",
  ],
};

/** The schemas the project's own code writes; suites register theirs. */
const PROJECT_SCHEMAS: readonly CsvSchema[] = [
  ERROR_ROWS_SCHEMA,
  ERROR_SUMMARY_SCHEMA,
  GRID_MANIFEST_SCHEMA,
  SEARCH_EPOCHS_SCHEMA,
  DIFFERENCE_INTERVALS_SCHEMA,
  ARCHITECTURE_WEIGHTS_SCHEMA,
  REFERENCE_CPU_SEARCH_SCHEMA,
  TRAIN_EPOCHS_SCHEMA,
  GPU_STEPS_SCHEMA,
  GPU_REFERENCE_STEPS_SCHEMA,
  GPU_MEMORY_SCHEMA,
  GPU_REFERENCE_MEMORY_SCHEMA,
  GPU_PROGRAM_TIME_SCHEMA,
  GPU_PARITY_SCHEMA,
  GPU_PROGRAM_PREDICTIONS_SCHEMA,
  GPU_SUMMARY_SCHEMA,
  UNROLLED_SENSITIVITY_SCHEMA,
  REFERENCE_CPU_STEPS_SCHEMA,
];

const registered: CsvSchema[] = [];

/**
 * Adds a suite's schema (`registerBenchSuite` calls this); a second schema of
 * the same name is an error.
 */
export function registerCsvSchema(schema: CsvSchema): void {
  if (csvSchemas().some((s) => s.name === schema.name && s !== schema)) {
    throw new Error(`CSV schema "${schema.name}" is declared twice`);
  }
  if (!csvSchemas().includes(schema)) registered.push(schema);
}

/**
 * Every CSV kind: the project's, then those of the suites registered so far
 * (import `src/suites/all.ts` for every suite's).
 */
export function csvSchemas(): CsvSchema[] {
  return [...PROJECT_SCHEMAS, ...registered];
}

/**
 * The schema's columns, after checking that `rows` hold no other column: a
 * writer cannot add a column the schema does not declare.
 */
export function columnsFor(
  schema: CsvSchema,
  rows: readonly Record<string, unknown>[],
): string[] {
  for (const row of rows) {
    const extra = Object.keys(row).filter((c) => !schema.columns.includes(c));
    if (extra.length > 0) {
      throw new Error(
        `a ${schema.name} row has column${extra.length > 1 ? "s" : ""} ${
          extra.join(", ")
        } that its schema does not list`,
      );
    }
  }
  return [...schema.columns];
}

/** The columns of `header` that no declaration names. */
export function undeclaredColumns(header: readonly string[]): string[] {
  return header.filter((c) => !(c in COLUMNS));
}

/** The declared schema whose columns are exactly `header`, if any. */
export function schemaOf(header: readonly string[]): CsvSchema | undefined {
  return csvSchemas().find((s) =>
    s.columns.length === header.length &&
    s.columns.every((c, i) => c === header[i])
  );
}

/** The schemas as Markdown: one table of columns per file kind. */
export function schemasMarkdown(): string {
  const lines = [
    "# CSV schemas",
    "",
    "Generated from `src/bench/csv_schema.ts` and the suites in `src/suites/` by",
    "`deno task docs`; do not edit.",
    "",
    "Roles: **context** (where and when; never matched), **key** (what was",
    "measured; rows match when every key agrees), **metric** (compared by its",
    "rule), **output** (reported, not compared). `deno task compare` refuses a",
    "column that is not declared.",
    "",
    "Rules: `±x%` relative, `×x` ratio band, `spread` within twice the",
    "baseline's seed spread (at least the tolerance).",
  ];
  const rule = (r?: MetricRule) =>
    !r
      ? ""
      : r.kind === "relative"
      ? `±${+(r.tolerance * 100).toPrecision(3)}%`
      : r.kind === "ratio"
      ? `×${r.tolerance}`
      : `spread (≥ ${r.tolerance})`;
  for (const schema of csvSchemas()) {
    lines.push(
      "",
      `## ${schema.name}`,
      "",
      `Files: ${schema.files}`,
      "",
      "| column | type | unit | role | rule | lower is better | meaning |",
      "| ------ | ---- | ---- | ---- | ---- | --------------- | ------- |",
    );
    for (const name of schema.columns) {
      const c = COLUMNS[name];
      lines.push(
        `| \`${name}\` | ${c.type} | ${c.unit} | ${c.role} | ${
          rule(c.rule)
        } | ${
          c.rule ? (c.rule.higherIsWorse ? "yes" : "no") : ""
        } | ${c.about} |`,
      );
    }
  }
  return lines.join("\n") + "\n";
}
