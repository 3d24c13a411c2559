/**
 * `deno task grid plan|run|merge`: the error suite as a run grid (see
 * `grid/`). `plan` writes the manifest, `run` runs one row (the
 * index from `--index`, `SLURM_ARRAY_TASK_ID` or `JOB_COMPLETION_INDEX`) or,
 * with `--workers N`, every unfinished row N at a time, and `merge` writes
 * `error.csv` and `error_summary.csv` and names the rows still missing, and
 * why: failed (its error), interrupted, or not started.
 */
import { threadsFromEnvironment } from "../backends/wasm/wasm_options.ts";
import { numberFlag } from "./flags.ts";
import { type CommandSpec, parseCommand, usageOf } from "./command_spec.ts";
import { DEFAULT_BACKEND, explainError } from "../backends/backend_table.ts";
import { SEARCH_METHODS } from "../search/search_methods.ts";
import { initBackend } from "../backends/init.ts";
import { resolveDataDir } from "../data/data_dir.ts";
import { loadTrainAndTest } from "../data/dataset_registry.ts";
import { machineContext } from "../bench/context.ts";
import { runStamp } from "./run_folder.ts";
import { pathExists } from "../io/path_exists.ts";
import {
  type GridRow,
  planGrid,
  readManifest,
  writeManifest,
} from "../grid/manifest.ts";
import { gridDir, rowFile, runFolder } from "../grid/grid_paths.ts";
import {
  GRID_DATASET,
  recordRowFailure,
  runGridRow,
} from "../grid/row_runner.ts";
import { mergeGrid } from "../grid/merge.ts";
import { parsePairs, writeIntervals } from "../grid/intervals.ts";

/** The grid command's flags. */
export const GRID_COMMAND = {
  name: "grid",
  synopsis: [
    "plan --out DIR [--size S] [--seeds N] [--backend NAME] [--methods A,B,...]\n     [--search-epochs E1,E2,...] [--partial-channels K1,K2,...]\n     [--edge-normalization true|false] [--batch-size N] [--search-lr X]\n     [--search-channels N] [--arm NAME] [--genotype-file FILE]\n     [--first-seed S] [--train-epochs N] [--train-subset N] [--append]",
    "run DIR/manifest.csv [--index I | --workers N] [--data-dir DIR] [--no-verify]",
    "merge DIR",
    "intervals DIR --pairs A~B,C~D,...",
  ],
  about: `plan    writes DIR/manifest.csv: every method (${
    SEARCH_METHODS.join(", ")
  }, and the
        PC_DARTS_cifar, DARTS_V2 and random cells) at seeds S..S+N-1, with
        the arm's settings for searching rows; --append adds rows to it
run     runs row I (default $SLURM_ARRAY_TASK_ID, else $JOB_COMPLETION_INDEX);
        a finished row does nothing, an interrupted one resumes. --workers N
        runs every unfinished row, N at a time, one process each
merge   writes DIR/error.csv and DIR/error_summary.csv; exits 1 and names each
        row still missing: failed (with its error), interrupted, or not started
intervals writes DIR/intervals.csv: for each pair of groups (method,
        method/arm or method/budget) the difference of their mean test
        errors with Welch's 95 % interval, decided where it excludes 0`,
  positionals: true,
  flags: {
    out: { type: "string", value: "DIR", help: "plan: the grid folder" },
    size: {
      type: "string",
      value: "smoke|small|cpu|paper",
      default: "smoke",
      help: "plan: search and training size",
    },
    seeds: {
      type: "string",
      value: "N",
      default: "3",
      help: "plan: N seeds, from --first-seed",
    },
    "first-seed": {
      type: "string",
      value: "S",
      default: "0",
      help: "plan: the first seed (seeds S..S+N-1)",
    },
    backend: {
      type: "string",
      value: "NAME",
      default: DEFAULT_BACKEND,
      help: "plan: the backend rows run on",
    },
    methods: {
      type: "string",
      value: "A,B,...",
      help: "plan: a subset of the methods",
    },
    "search-epochs": {
      type: "string",
      value: "E1,E2,...",
      help:
        "plan: a budget sweep: each search method at each number of\nepochs (warm-up at its reference share)",
    },
    "partial-channels": {
      type: "string",
      value: "K1,K2,...",
      help: "plan: an arm per K: every searching row at that K",
    },
    "edge-normalization": {
      type: "string",
      value: "true|false",
      help: "plan: every searching row with edge normalization on or off",
    },
    "batch-size": {
      type: "string",
      value: "N",
      help: "plan: every searching row's batch",
    },
    "search-lr": {
      type: "string",
      value: "X",
      help: "plan: every searching row's weight learning rate",
    },
    "search-channels": {
      type: "string",
      value: "N",
      help: "plan: every searching row's initial channels C",
    },
    arm: {
      type: "string",
      value: "NAME",
      help:
        "plan: the arm's label (default from its settings: k2, k4-noen,\nb256)",
    },
    "genotype-file": {
      type: "string",
      value: "FILE",
      help:
        "plan: rows that train FILE's cell with no search, reported\nunder --methods NAME",
    },
    append: {
      type: "boolean",
      help: "plan: add the rows to DIR's manifest instead of writing a new one",
    },
    "train-epochs": {
      type: "string",
      value: "N",
      help: "plan: training epochs of every row",
    },
    "train-subset": {
      type: "string",
      value: "N",
      help: "plan: class-balanced training images of every row",
    },
    "train-image-side": {
      type: "string",
      value: "N",
      help: "plan: the side every row's training images are averaged to",
    },
    pairs: {
      type: "string",
      value: "A~B,...",
      help: "intervals: the groups to compare, a minus b",
    },
    index: { type: "string", value: "I", help: "run: the row" },
    workers: {
      type: "string",
      value: "N",
      help: "run: every unfinished row, N processes at a time",
    },
    "data-dir": {
      type: "string",
      value: "DIR",
      help: "run: data folder (else PCDARTS_DATA_DIR, else ./data)",
    },
    "no-verify": {
      type: "boolean",
      help: "run: skip the md5 check of the data files",
    },
  },
} as const satisfies CommandSpec;

const USAGE = usageOf(GRID_COMMAND);

function taskIndex(flag: string | undefined): number {
  const source = flag !== undefined
    ? ["--index", flag]
    : Deno.env.get("SLURM_ARRAY_TASK_ID") !== undefined
    ? ["SLURM_ARRAY_TASK_ID", Deno.env.get("SLURM_ARRAY_TASK_ID")!]
    : Deno.env.get("JOB_COMPLETION_INDEX") !== undefined
    ? ["JOB_COMPLETION_INDEX", Deno.env.get("JOB_COMPLETION_INDEX")!]
    : null;
  if (source === null) {
    throw new Error(
      "no row index: give --index I or --workers N, or run as a SLURM array task or a Kubernetes Indexed Job",
    );
  }
  const index = Number(source[1]);
  if (!Number.isInteger(index) || index < 0) {
    throw new Error(
      `${source[0]} must be a row index (0, 1, ...), got "${source[1]}"`,
    );
  }
  return index;
}

/** Runs every unfinished row of a manifest, `workers` processes at a time. */
async function runAll(
  manifest: string,
  workers: number,
  passOn: string[],
): Promise<number> {
  const dir = gridDir(manifest);
  const pending = (await readManifest(manifest)).filter((r) =>
    !pathExists(rowFile(dir, r.index))
  );
  console.log(
    `grid: ${pending.length} rows to run, ${workers} at a time`,
  );
  // The cores shared out between the row processes, unless set.
  const threads = threadsFromEnvironment() ??
    Math.max(1, Math.floor(navigator.hardwareConcurrency / workers));
  let failed = 0;
  const queue = [...pending];
  const worker = async () => {
    for (let row = queue.shift(); row; row = queue.shift()) {
      const { success } = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL(import.meta.url).pathname,
          "run",
          manifest,
          "--index",
          String(row.index),
          ...passOn,
        ],
        env: { PCDARTS_THREADS: String(threads) },
        stdout: "inherit",
        stderr: "inherit",
      }).output();
      if (!success) {
        failed++;
        console.error(
          `grid: row ${row.index} (${row.method}, seed ${row.seed}) failed`,
        );
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  return failed === 0 ? 0 : 1;
}

/** Runs the grid command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(GRID_COMMAND, args);
  if (typeof parsed === "number") return parsed;
  const v = parsed.values;
  const [command, target] = parsed.positionals;
  try {
    if (command === "plan") return await planCommand(v);
    if (command === "run" && target) return await runCommand(target, v);
    if (command === "merge" && target) return await mergeCommand(target);
    if (command === "intervals" && target) {
      return await intervalsCommand(target, v.pairs);
    }
  } catch (error) {
    // A bad plan is usage (2); a failed run or merge is data (1).
    console.error(`grid: ${explainError(error)}`);
    return command === "plan" ? 2 : 1;
  }
  console.error(
    `grid: name plan, run MANIFEST, merge DIR or intervals DIR\n\n${USAGE}`,
  );
  return 2;
}

type GridFlagValues = Exclude<
  ReturnType<typeof parseCommand<typeof GRID_COMMAND>>,
  number
>["values"];

/** A whole number of at least 1 from a flag, or undefined. */
function positiveFlag(text: string | undefined, name: string) {
  const n = numberFlag(text, name);
  if (n !== undefined && !(Number.isInteger(n) && n >= 1)) {
    throw new Error(`--${name} must be a positive integer, got "${text}"`);
  }
  return n;
}

/** `plan`: writes the manifest (or adds to it, with `--append`). */
async function planCommand(v: GridFlagValues): Promise<number> {
  if (!v.out) throw new Error("plan needs --out DIR");
  const seeds = numberFlag(v.seeds, "seeds")!;
  if (!Number.isInteger(seeds) || seeds < 1) {
    throw new Error(`--seeds must be a positive integer, got "${v.seeds}"`);
  }
  const firstSeed = numberFlag(v["first-seed"], "first-seed")!;
  if (!Number.isInteger(firstSeed) || firstSeed < 0) {
    throw new Error(
      `--first-seed must be a whole number, got "${v["first-seed"]}"`,
    );
  }
  const edge = v["edge-normalization"];
  if (edge !== undefined && edge !== "true" && edge !== "false") {
    throw new Error(`--edge-normalization takes true or false, not "${edge}"`);
  }
  const searchLr = numberFlag(v["search-lr"], "search-lr");
  if (searchLr !== undefined && !(searchLr > 0)) {
    throw new Error(`--search-lr must be positive, got "${v["search-lr"]}"`);
  }
  const ks = v["partial-channels"]?.split(",").map((k) =>
    positiveFlag(k.trim(), "partial-channels")!
  );
  const manifestPath = `${v.out}/manifest.csv`;
  const existing: GridRow[] = v.append && pathExists(manifestPath)
    ? await readManifest(manifestPath)
    : [];
  if (!v.append && pathExists(manifestPath)) {
    throw new Error(
      `${manifestPath} exists: give --append to add rows to it, or another --out`,
    );
  }
  const rows = [...existing];
  for (const k of ks ?? [undefined]) {
    rows.push(...planGrid({
      size: v.size!,
      seeds: Array.from({ length: seeds }, (_, i) => firstSeed + i),
      backend: v.backend!,
      methods: v.methods?.split(",").map((m) => m.trim()),
      searchEpochs: v["search-epochs"]?.split(",").map((e) =>
        numberFlag(e.trim(), "search-epochs")!
      ),
      arm: {
        partialChannels: k,
        edgeNormalization: edge === undefined ? undefined : edge === "true",
        batchSize: positiveFlag(v["batch-size"], "batch-size"),
        learningRate: searchLr,
        channels: positiveFlag(v["search-channels"], "search-channels"),
        label: v.arm,
      },
      train: {
        epochs: numberFlag(v["train-epochs"], "train-epochs"),
        subset: numberFlag(v["train-subset"], "train-subset"),
        imageSide: numberFlag(v["train-image-side"], "train-image-side"),
      },
      genotypeFile: v["genotype-file"],
      firstIndex: rows.length,
    }));
  }
  const folders = new Map<string, number>();
  for (const row of rows) {
    const folder = runFolder(v.out, row);
    const other = folders.get(folder);
    if (other !== undefined) {
      throw new Error(
        `rows ${other} and ${row.index} would share the run folder ${folder}: give the new rows another --arm`,
      );
    }
    folders.set(folder, row.index);
  }
  const path = await writeManifest(v.out, rows);
  console.log(
    `grid: ${rows.length - existing.length} rows ${
      existing.length > 0 ? "added to" : "in"
    } ${path}`,
  );
  return 0;
}

/** `run`: one row (by index), or every unfinished row with `--workers`. */
async function runCommand(target: string, v: GridFlagValues): Promise<number> {
  if (v.workers !== undefined) {
    const workers = numberFlag(v.workers, "workers")!;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new Error(
        `--workers must be a positive integer, got "${v.workers}"`,
      );
    }
    const passOn = [
      ...(v["data-dir"] ? ["--data-dir", v["data-dir"]] : []),
      ...(v["no-verify"] ? ["--no-verify"] : []),
    ];
    return await runAll(target, workers, passOn);
  }
  const index = taskIndex(v.index);
  const manifest = await readManifest(target);
  const row = manifest[index];
  if (!row) {
    throw new Error(
      `${target} has ${manifest.length} rows; there is no row ${index}`,
    );
  }
  const dir = gridDir(target);
  if (pathExists(rowFile(dir, index))) {
    console.log(`grid: row ${index} is already done`);
    return 0;
  }
  try {
    const backend = await initBackend(row.backend);
    const machine = await machineContext(
      `grid-${row.method}-s${row.seed}-${runStamp()}`,
      backend,
    );
    const dataDir = resolveDataDir(v["data-dir"]);
    const verify = !v["no-verify"];
    const data = await loadTrainAndTest(GRID_DATASET, dataDir, { verify });
    await runGridRow(dir, row, data, machine, console.log, {
      backend,
      dataDir,
      verify,
    });
  } catch (error) {
    // The merge names the failure; a rerun retries the row.
    await recordRowFailure(dir, index, explainError(error));
    throw error;
  }
  return 0;
}

/** `merge`: the grid's CSVs; 1 and each missing row named while any is. */
async function mergeCommand(target: string): Promise<number> {
  const { rows, summary, missing } = await mergeGrid(target);
  console.log(
    `grid: ${rows.length} rows merged into ${target}/error.csv; ${summary.length} methods in ${target}/error_summary.csv`,
  );
  for (const m of missing) {
    const why = m.state === "failed"
      ? `failed at ${m.failedAt}: ${m.detail}`
      : m.state === "interrupted"
      ? "was interrupted (rerun it to resume from its checkpoints)"
      : "has not started";
    console.error(`grid: row ${m.index} (${m.method}, seed ${m.seed}) ${why}`);
  }
  return missing.length === 0 ? 0 : 1;
}

/** `intervals`: the differences between pairs of groups, with intervals. */
async function intervalsCommand(
  dir: string,
  pairs: string | undefined,
): Promise<number> {
  if (pairs === undefined) throw new Error("intervals needs --pairs A~B,...");
  const rows = await writeIntervals(dir, parsePairs(pairs));
  for (const r of rows) {
    const pct = (x: number) => (100 * x).toFixed(2);
    console.log(
      `${r.a} − ${r.b}: ${pct(r.difference)} points [${
        pct(r.difference_low)
      }, ${pct(r.difference_high)}] (${r.a_runs} and ${r.b_runs} runs)${
        r.decided ? ", decided" : ", not decided"
      }`,
    );
  }
  console.log(`grid: wrote ${dir}/intervals.csv`);
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
