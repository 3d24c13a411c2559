/**
 * `deno task bench [--suite memory|batch|cost|error|step|all] [--size smoke|small|paper]
 * [--backend NAME] [--out DIR] [--memory-budget GiB] [--seeds N] [--config tiny|small|paper|host]
 * [--steps N] [--recompute-cells true|false]`:
 * runs benchmark suites and writes one CSV per suite (default
 * `results/bench/<run-id>/`), every row with its context columns.
 */
import {
  BACKEND_CHOICES,
  DEFAULT_BACKEND,
  explainError,
} from "../backends/backend_table.ts";
import { initBackend } from "../backends/init.ts";
import { writeCsvAtomic } from "../io/csv_file.ts";
import { resolveDataDir } from "../data/data_dir.ts";
import { machineContext } from "../bench/context.ts";
import { columnsFor } from "../bench/csv_schema.ts";
import { BENCH_SHAPES, type BenchSize } from "../bench/suite_measurements.ts";
import {
  BENCH_SUITES,
  benchSuite,
  DEFAULT_SUITES,
  type SuiteFile,
  type SuiteSettings,
} from "../suites/catalog.ts";
import { runStamp } from "./run_folder.ts";
import { numberFlag } from "./flags.ts";
import { type CommandSpec, parseCommand, usageOf } from "./command_spec.ts";

/** The bench command's flags. */
export const BENCH_COMMAND = {
  name: "bench",
  synopsis: ["[options]"],
  flags: {
    suite: {
      type: "string",
      value: `${BENCH_SUITES.join("|")}|all`,
      default: "all",
      help: `comma-separated; all = ${DEFAULT_SUITES.join(",")}`,
    },
    size: {
      type: "string",
      value: "smoke|small|paper",
      default: "smoke",
      help: "network and batch sizes",
    },
    backend: {
      type: "string",
      value: BACKEND_CHOICES,
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
      value: "NAME",
      help:
        "step suite: tiny (default), small, paper or host;\ntrain-step suite: cpu (default), paper or smoke",
    },
    steps: {
      type: "string",
      value: "N",
      default: "5",
      help: "step suite: timed steps",
    },
    "recompute-cells": {
      type: "string",
      value: "true|false|N",
      help:
        "step and train-step suites: override the configuration's choice;\nstep: N recomputes the first N cells (train-step: every cell,\nand by default only where the plain step does not fit)",
    },
    "reference-threads": {
      type: "string",
      value: "N",
      default: "0",
      help:
        "step suite: also time the reference PyTorch twin's step\n(benchmarks/gpu/reference_step.py) on N CPU threads,\nafter ours, and write the ratio (0: not)",
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

type BenchFlagValues = Exclude<
  ReturnType<typeof parseCommand<typeof BENCH_COMMAND>>,
  number
>["values"];

function positiveIntegerFlag(value: string, name: string): number {
  const n = numberFlag(value, name)!;
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--${name} must be a positive integer, got "${value}"`);
  }
  return n;
}

function nonNegativeIntegerFlag(value: string, name: string): number {
  const n = numberFlag(value, name)!;
  if (!Number.isInteger(n) || n < 0) {
    throw new Error(
      `--${name} must be a whole number (0 or more), got "${value}"`,
    );
  }
  return n;
}

/** The suites and settings the flags ask for; throws on a bad flag. */
function settingsFromFlags(
  v: BenchFlagValues,
): { suites: string[]; settings: Omit<SuiteSettings, "backend" | "outDir"> } {
  const memoryBudget = numberFlag(v["memory-budget"], "memory-budget")!;
  if (!(memoryBudget > 0)) {
    throw new Error(
      `--memory-budget must be a positive number of GiB, got "${
        v["memory-budget"]
      }"`,
    );
  }
  const suites = v.suite === "all" ? [...DEFAULT_SUITES] : v.suite!.split(",");
  for (const name of suites) benchSuite(name);
  if (!(v.size! in BENCH_SHAPES)) {
    throw new Error(`unknown size "${v.size}"; choose smoke, small or paper`);
  }
  const recompute = v["recompute-cells"];
  if (
    recompute !== undefined && recompute !== "true" && recompute !== "false" &&
    !/^\d+$/.test(recompute)
  ) {
    throw new Error(
      `--recompute-cells takes true, false or a count of first cells (step suite), got "${recompute}"`,
    );
  }
  const seedCount = positiveIntegerFlag(v.seeds!, "seeds");
  return {
    suites,
    settings: {
      size: v.size as BenchSize,
      memoryBudgetBytes: memoryBudget * 2 ** 30,
      seeds: Array.from({ length: seedCount }, (_, i) => i + 1),
      steps: positiveIntegerFlag(v.steps!, "steps"),
      stepConfig: v.config,
      referenceThreads: nonNegativeIntegerFlag(
        v["reference-threads"]!,
        "reference-threads",
      ),
      recomputeCells: recompute === undefined
        ? undefined
        : /^\d+$/.test(recompute)
        ? Number(recompute)
        : recompute === "true",
      dataDir: resolveDataDir(v["data-dir"]),
      log: v.quiet ? () => {} : (line: string) => console.log(line),
    },
  };
}

/** Writes a suite's file with the machine's and the file's context columns. */
async function writeSuiteFile(
  outDir: string,
  machine: Record<string, unknown>,
  file: SuiteFile,
): Promise<void> {
  const full = file.rows.map((r) => ({ ...machine, ...file.context, ...r }));
  await writeCsvAtomic(
    `${outDir}/${file.name}.csv`,
    columnsFor(file.schema, full) as never[],
    full as never[],
  );
  console.log(`wrote ${outDir}/${file.name}.csv (${file.rows.length} rows)`);
}

/** Runs the bench command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(BENCH_COMMAND, args);
  if (typeof parsed === "number") return parsed;
  const v = parsed.values;
  let chosen;
  try {
    chosen = settingsFromFlags(v);
  } catch (error) {
    console.error(`bench: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const backend = await initBackend(v.backend!);
  const runId = v["run-id"] ??
    `bench-${chosen.settings.size}-${backend.name}-${runStamp()}`;
  const settings = {
    ...chosen.settings,
    backend,
    outDir: v.out ?? `results/bench/${runId}`,
  };
  // Checked first, so that missing data stops the run before the other
  // suites spend their minutes or a folder is made.
  for (const name of chosen.suites) await benchSuite(name).check?.(settings);
  await Deno.mkdir(settings.outDir, { recursive: true });
  if (chosen.suites.length > 1) {
    return await runSuitesApart(chosen.suites, v, settings.outDir, runId);
  }
  const machine = await machineContext(runId, backend);
  const { files, lines } = await benchSuite(chosen.suites[0]).run(settings);
  for (const file of files) {
    await writeSuiteFile(settings.outDir, machine, file);
  }
  for (const line of lines ?? []) console.log(line);
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
