/**
 * `deno task bench [--suite memory|batch|cost|error|step|all] [--size smoke|small|paper]
 * [--backend NAME] [--out DIR] [--memory-budget GiB] [--seeds N] [--config tiny|small|host]
 * [--steps N] [--recompute-cells true|false]`:
 * runs benchmark suites and writes one CSV per suite (default
 * `results/bench/<run-id>/`), every row with its context columns.
 */
import { DEFAULT_BACKEND, explainError } from "../backends/table.ts";
import { initBackend } from "../backends/init.ts";
import { writeCsvAtomic } from "../io/csv_file.ts";
import { resolveDataDir } from "../data/data_dir.ts";
import { checkCifar10, loadCifar10 } from "../data/cifar10.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { machineContext } from "../bench/context.ts";
import { columnsFor } from "../bench/csv_schema.ts";
import {
  batchSuite,
  BENCH_SHAPES,
  type BenchSize,
  costSuite,
  memorySuite,
  STEP_CONFIGS,
  stepSuite,
  type SuiteRow,
} from "../bench/suites.ts";
import { errorSuite } from "../bench/error_suite.ts";
import { runStamp } from "./run_folder.ts";
import { numberFlag } from "./flags.ts";
import { type CommandSpec, parseCommand, usageOf } from "./command_spec.ts";

const SUITES = ["memory", "batch", "cost", "error", "step"];

/** The declared schema of each file a suite writes (`step-<config>` is `step`). */
const SUITE_SCHEMAS: Record<string, string> = {
  memory: "memory suite",
  batch: "batch suite",
  cost: "cost suite",
  step: "step suite",
  error: "error suite and grid rows",
  error_summary: "error summary",
};

/** The bench command's flags. */
export const BENCH_COMMAND = {
  name: "bench",
  synopsis: ["[options]"],
  flags: {
    suite: {
      type: "string",
      value: "memory|batch|cost|error|step|all",
      default: "all",
      help: "comma-separated; all = memory,batch,cost,error",
    },
    size: {
      type: "string",
      value: "smoke|small|paper",
      default: "smoke",
      help: "network and batch sizes",
    },
    backend: {
      type: "string",
      value: "auto|tensorflow|webgpu|wasm|cpu",
      default: DEFAULT_BACKEND,
      help: "where to run",
    },
    out: {
      type: "string",
      value: "DIR",
      help: "where the CSVs go (default results/bench/<run-id>)",
    },
    "memory-budget": {
      type: "string",
      value: "GiB",
      default: "11",
      help: "memory suite: the budget for the largest batch",
    },
    seeds: {
      type: "string",
      value: "N",
      default: "3",
      help: "error suite: seeds per method",
    },
    config: {
      type: "string",
      value: "tiny|small|host",
      default: "tiny",
      help: "step suite: the configuration",
    },
    steps: {
      type: "string",
      value: "N",
      default: "5",
      help: "step suite: timed steps",
    },
    "recompute-cells": {
      type: "string",
      value: "true|false",
      help: "step suite: override the configuration's choice",
    },
    "data-dir": {
      type: "string",
      value: "DIR",
      help:
        "error suite: the CIFAR-10 folder (else PCDARTS_DATA_DIR, else ./data)",
    },
    quiet: { type: "boolean", help: "no per-measurement lines" },
    "run-id": {
      type: "string",
      value: "ID",
      help: "the run id the rows carry (default bench-<size>-<backend>-<time>)",
    },
  },
} as const satisfies CommandSpec;

const USAGE = usageOf(BENCH_COMMAND);

function positiveIntegerFlag(value: string, name: string): number {
  const n = numberFlag(value, name)!;
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--${name} must be a positive integer, got "${value}"`);
  }
  return n;
}

/** Runs the bench command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(BENCH_COMMAND, args);
  if (typeof parsed === "number") return parsed;
  const v = parsed.values;
  let memoryBudget: number, seedCount: number, steps: number;
  try {
    memoryBudget = numberFlag(v["memory-budget"], "memory-budget")!;
    if (!(memoryBudget > 0)) {
      throw new Error(
        `--memory-budget must be a positive number of GiB, got "${
          v["memory-budget"]
        }"`,
      );
    }
    seedCount = positiveIntegerFlag(v.seeds!, "seeds");
    steps = positiveIntegerFlag(v.steps!, "steps");
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const suites = v.suite === "all"
    ? ["memory", "batch", "cost", "error"]
    : v.suite!.split(",");
  for (const s of suites) {
    if (!SUITES.includes(s)) {
      console.error(`unknown suite "${s}"; choose ${SUITES.join(", ")} or all`);
      return 2;
    }
  }
  const size = v.size as BenchSize;
  if (!(size in BENCH_SHAPES)) {
    console.error(`unknown size "${v.size}"; choose smoke, small or paper`);
    return 2;
  }
  if (!(v.config! in STEP_CONFIGS)) {
    console.error(
      `unknown step config "${v.config}"; choose ${
        Object.keys(STEP_CONFIGS).join(", ")
      }`,
    );
    return 2;
  }
  const backend = await initBackend(v.backend!);
  // The error suite's data is checked first, so that missing data stops the
  // run before the other suites spend their minutes or a folder is made; with
  // several suites the error suite's own process reads it.
  let errorData: { train: ImageDataset; test: ImageDataset } | undefined;
  if (suites.includes("error")) {
    const dataDir = resolveDataDir(v["data-dir"]);
    if (suites.length > 1) {
      await checkCifar10(dataDir, "train");
      await checkCifar10(dataDir, "test");
    } else {
      errorData = {
        train: await loadCifar10(dataDir, "train"),
        test: await loadCifar10(dataDir, "test"),
      };
    }
  }
  const runId = v["run-id"] ?? `bench-${size}-${backend.name}-${runStamp()}`;
  const outDir = v.out ?? `results/bench/${runId}`;
  await Deno.mkdir(outDir, { recursive: true });
  if (suites.length > 1) return await runSuitesApart(suites, v, outDir, runId);
  const machine = await machineContext(runId, backend);
  const log = v.quiet ? () => {} : (s: string) => console.log(s);
  const shape = BENCH_SHAPES[size];
  const write = async (
    name: string,
    rows: SuiteRow[],
    extra: Record<string, unknown>,
  ) => {
    const full = rows.map((r) => ({ ...machine, ...extra, ...r }));
    const columns = columnsFor(SUITE_SCHEMAS[name.replace(/-.*$/, "")], full);
    await writeCsvAtomic(
      `${outDir}/${name}.csv`,
      columns as never[],
      full as never[],
    );
    console.log(`wrote ${outDir}/${name}.csv (${rows.length} rows)`);
  };
  const networkContext = {
    dataset: "random-10-class",
    image_size: shape.imageSize,
    channels: shape.channels,
    layers: shape.layers,
    seed: 0,
  };
  for (const suite of suites) {
    if (suite === "memory") {
      const budget = memoryBudget * 2 ** 30;
      await write(
        "memory",
        await memorySuite(size, budget, log),
        networkContext,
      );
    } else if (suite === "batch") {
      await write("batch", await batchSuite(size, log), networkContext);
    } else if (suite === "cost") {
      await write("cost", await costSuite(size, backend.gpu, log), {
        ...networkContext,
        image_size: 32,
        channels: "per method",
        layers: "per method",
      });
    } else if (suite === "step") {
      const config = v.config as keyof typeof STEP_CONFIGS;
      const recompute = v["recompute-cells"];
      if (
        recompute !== undefined && recompute !== "true" && recompute !== "false"
      ) {
        throw new Error(
          `--recompute-cells takes true or false, got "${recompute}"`,
        );
      }
      const rows = await stepSuite(
        config,
        steps,
        recompute === undefined ? undefined : recompute === "true",
      );
      const spec = STEP_CONFIGS[config];
      await write(`step-${config}`, rows, {
        ...networkContext,
        image_size: spec.imageSize,
        channels: spec.channels,
        layers: spec.layers,
      });
      const r = rows[0];
      console.log(
        `peak tensor bytes: ${r.peak_bytes} (${r.peak_buffer_bytes} in buffers, each once); kernels per step: ${r.kernels_per_step}; recomputed cells: ${r.recompute_cells}`,
      );
      if (r.gpu_dispatches_per_step !== "") {
        console.log(
          `GPU dispatches per step: ${r.gpu_dispatches_per_step}; host (main thread) ${r.host_ms_per_step} ms per step`,
        );
      }
      if (r.process_cpu_ms_per_step !== "") {
        console.log(
          `CPU of all threads: ${r.process_cpu_ms_per_step} ms per step, ${
            (Number(r.process_cpu_ms_per_step) / Number(r.median_ms)).toFixed(
              2,
            )
          } cores busy`,
        );
      }
      console.log(
        `step: ${config} ${backend.name} ${r.median_ms} ms/step, ${
          (Number(r.flops_per_step) / 1e9).toFixed(2)
        } GFLOP/step, ${r.gflops} GFLOP/s`,
      );
    } else if (suite === "error") {
      const data = errorData!;
      const seeds = Array.from({ length: seedCount }, (_, i) => i + 1);
      const result = await errorSuite(size, seeds, data, `${outDir}/runs`, log);
      const context = {
        dataset: "cifar10",
        image_size: 32,
        channels: "per size",
        layers: "per size",
        seed: "per row",
      };
      await write("error", result.rows, context);
      await write("error_summary", result.summary, context);
    }
  }
  return 0;
}

/**
 * Runs each suite in a process of its own, in order, into one folder and run
 * id: a suite's memory figures (process RSS, the wasm heap, which never
 * shrinks) must not depend on what the suites before it loaded. Returns the
 * first failing child's exit status, else 0.
 */
async function runSuitesApart(
  suites: string[],
  values: Record<string, string | boolean | undefined>,
  outDir: string,
  runId: string,
): Promise<number> {
  const shared: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (["suite", "out", "run-id"].includes(name) || value === undefined) {
      continue;
    }
    if (value === true) shared.push(`--${name}`);
    else if (value !== false) shared.push(`--${name}`, String(value));
  }
  for (const suite of suites) {
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-all",
        new URL(import.meta.url).pathname,
        ...["--suite", suite, "--out", outDir, "--run-id", runId],
        ...shared,
      ],
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) {
      console.error(`bench: the ${suite} suite failed (exit ${code})`);
      return code;
    }
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`bench: ${explainError(error)}`);
    Deno.exit(1);
  }
}
