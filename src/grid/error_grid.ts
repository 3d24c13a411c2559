/**
 * The error suite as a run grid that any scheduler can spread: a manifest with
 * one row per run (a searched method or a reference cell, at one seed), a
 * runner for one row, and a merge. A row writes its own folder and its own
 * CSV atomically; a row whose CSV exists does nothing, and a row interrupted
 * midway resumes its search and training from their checkpoints. So a rerun,
 * a retried SLURM array task or a retried Kubernetes pod finishes the grid.
 *
 * Layout of a grid folder: `manifest.csv`; `runs/<method>-s<seed>/search` and
 * `…/train` (the run folders); `rows/<index>.csv` (a finished row);
 * `rows/<index>.failed` (why its last attempt failed, until one succeeds);
 * after the merge, `error.csv` and `error_summary.csv`.
 */
import { parse } from "csv-parse/sync";
import type { ImageDataset } from "../data/dataset.ts";
import type { Genotype } from "../space/genotype.ts";
import { writeCsvAtomic } from "../io/csv_file.ts";
import {
  resolveSearchConfig,
  SEARCH_METHODS,
} from "../search/search_config.ts";
import { searchMethod } from "../search/search_methods.ts";
import type { EpochRow } from "../search/epoch_row.ts";
import { parseGenotype } from "../space/genotype.ts";
import { runSearch } from "../search/search.ts";
import { resolveTrainConfig, type TrainConfig } from "../train/train_config.ts";
import { runTraining } from "../train/train.ts";
import { BUILTIN_GENOTYPES, randomGenotype } from "../train/genotypes.ts";
import { summarizeErrors, trainedRow } from "../bench/error_suite.ts";
import type { SuiteRow } from "../bench/suites.ts";
import { CONTEXT_COLUMNS } from "../bench/context.ts";
import { columnsFor, schemaNamed } from "../bench/csv_schema.ts";
import { pathExists } from "../io/path_exists.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";

/** The reference cells, trained without a search. */
export const REFERENCE_CELLS = ["PC_DARTS_cifar", "DARTS_V2", "random"];

/** Every method a grid can hold: the searches, then the references. */
export const GRID_METHODS: string[] = [...SEARCH_METHODS, ...REFERENCE_CELLS];

/** One run of the grid. */
export interface GridRow {
  /** Position in the manifest (the array task index). */
  index: number;
  /** A search method or a reference cell. */
  method: string;
  /** Seed of the search and the training. */
  seed: number;
  /** Search and training size. */
  size: string;
  /** Backend to run on. */
  backend: string;
  /** A sweep's budget label (`e15`); empty: the size's own search. */
  budget?: string;
  /** Search epochs, where they differ from the size's. */
  search_epochs?: number;
  /** Epochs before architecture steps, where they differ from the size's. */
  warmup_epochs?: number;
  /** Training epochs, where they differ from the size's. */
  train_epochs?: number;
  /** Class-balanced training images, where they differ from the size's. */
  train_subset?: number;
  /** The side training images are averaged to, where it differs. */
  train_image_side?: number;
}

/** The per-row settings of a manifest, as columns. */
const SETTINGS = [
  "search_epochs",
  "warmup_epochs",
  "train_epochs",
  "train_subset",
  "train_image_side",
] as const;

const MANIFEST_COLUMNS = schemaNamed("grid manifest")
  .columns as (keyof GridRow)[];

/**
 * The columns of a finished row and of the merged `error.csv`: the context
 * every benchmark row starts with (commit, versions, backend, device, machine,
 * data and network sizes, seed), then the row's own.
 */
export const RESULT_COLUMNS: string[] = [
  ...schemaNamed("error suite and grid rows").columns,
];

/**
 * The warm-up a search method gets at `epochs`: its reference share of its
 * epochs (pcdarts: 15 of 50), rounded.
 */
export function warmupFor(method: string, epochs: number): number {
  const d = searchMethod(method).defaults;
  return Math.round((d.warmupEpochs * epochs) / d.epochs);
}

/**
 * The manifest's rows: every method at every seed. With `searchEpochs` (a
 * sweep), each search method gets one row per budget (`e<epochs>`, its
 * warm-up at its reference share) and each reference cell one row per seed,
 * those first, then the budgets in increasing order; the training settings
 * apply to every row.
 */
export function planGrid(options: {
  size: string;
  seeds: number[];
  backend: string;
  methods?: string[];
  searchEpochs?: number[];
  train?: { epochs?: number; subset?: number; imageSide?: number };
}): GridRow[] {
  const methods = options.methods ?? GRID_METHODS;
  for (const m of methods) {
    if (!GRID_METHODS.includes(m)) {
      throw new Error(
        `unknown method "${m}"; choose from ${GRID_METHODS.join(", ")}`,
      );
    }
  }
  resolveTrainConfig(options.size, "PC_DARTS_cifar"); // a known size
  for (const e of options.searchEpochs ?? []) {
    if (!Number.isInteger(e) || e < 1) {
      throw new Error(
        `a search budget must be a positive number of epochs, got ${e}`,
      );
    }
  }
  // Only the settings given: a row without one takes the size's.
  const train = Object.fromEntries(
    Object.entries({
      train_epochs: options.train?.epochs,
      train_subset: options.train?.subset,
      train_image_side: options.train?.imageSide,
    }).filter(([, v]) => v !== undefined),
  );
  const rows: GridRow[] = [];
  const add = (method: string, seed: number, epochs?: number) =>
    rows.push({
      index: rows.length,
      method,
      seed,
      size: options.size,
      backend: options.backend,
      ...train,
      ...(epochs === undefined ? {} : {
        budget: `e${epochs}`,
        search_epochs: epochs,
        warmup_epochs: warmupFor(method, epochs),
      }),
    });
  if (options.searchEpochs === undefined) {
    for (const seed of options.seeds) {
      for (const method of methods) add(method, seed);
    }
    return rows;
  }
  // A sweep: the reference cells first, then budget by budget, smallest
  // first, so that a sweep cut short has whole budgets; rows run in order.
  const searching = methods.filter((m) => SEARCH_METHODS.includes(m));
  for (const seed of options.seeds) {
    for (const method of methods) {
      if (!searching.includes(method)) add(method, seed);
    }
  }
  for (const epochs of [...options.searchEpochs].sort((a, b) => a - b)) {
    for (const seed of options.seeds) {
      for (const method of searching) add(method, seed, epochs);
    }
  }
  return rows;
}

/** Writes `dir/manifest.csv`. */
export async function writeManifest(
  dir: string,
  rows: GridRow[],
): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/manifest.csv`;
  await writeCsvAtomic(path, MANIFEST_COLUMNS, rows);
  return path;
}

/** Reads a manifest; a clear error names the file when it is not one. */
export async function readManifest(path: string): Promise<GridRow[]> {
  let records: Record<string, string>[];
  try {
    records = parse(await Deno.readTextFile(path), {
      columns: true,
      skip_empty_lines: true,
    });
  } catch (error) {
    throw new Error(
      `${path} is not a grid manifest: ${(error as Error).message}`,
    );
  }
  return records.map((r, i) => {
    const row: GridRow = {
      index: Number(r.index),
      method: r.method,
      seed: Number(r.seed),
      size: r.size,
      backend: r.backend,
    };
    if (r.budget) row.budget = r.budget;
    let settingsOk = true;
    for (const setting of SETTINGS) {
      const text = r[setting];
      if (text === undefined || text === "") continue;
      const value = Number(text);
      if (!Number.isInteger(value) || value < 0) settingsOk = false;
      row[setting] = value;
    }
    if (
      !settingsOk || row.index !== i || !GRID_METHODS.includes(row.method) ||
      !Number.isInteger(row.seed) || !row.size || !row.backend
    ) {
      throw new Error(
        `${path} is not a grid manifest: line ${i + 2} is ${JSON.stringify(r)}`,
      );
    }
    return row;
  });
}

/** The grid folder of a manifest. */
export function gridDir(manifestPath: string): string {
  const slash = manifestPath.lastIndexOf("/");
  return slash < 0 ? "." : manifestPath.slice(0, slash);
}

/** Where a row's result goes. */
export function rowFile(dir: string, index: number): string {
  return `${dir}/rows/${index}.csv`;
}

/** Where a row's last failure is recorded until an attempt succeeds. */
export function failureFile(dir: string, index: number): string {
  return `${dir}/rows/${index}.failed`;
}

/** The run folder of a row: its search and training under it. */
export function runFolder(dir: string, row: GridRow): string {
  const budget = row.budget ? `-${row.budget}` : "";
  return `${dir}/runs/${row.method}${budget}-s${row.seed}`;
}

/** The training configuration of a row: its size with the row's settings. */
export function rowTrainConfig(row: GridRow): TrainConfig {
  return resolveTrainConfig(row.size, row.method, {
    seed: row.seed,
    epochs: row.train_epochs,
    subset: row.train_subset,
    imageSide: row.train_image_side,
  });
}

/** The row's settings as result columns (empty where the size's own). */
function settingColumns(row: GridRow): SuiteRow {
  return {
    budget: row.budget ?? "",
    ...Object.fromEntries(SETTINGS.map((s) => [s, row[s] ?? ""])),
  };
}

/** Records why an attempt at a row failed, for the merge to name. */
export async function recordRowFailure(
  dir: string,
  index: number,
  message: string,
): Promise<void> {
  await Deno.mkdir(`${dir}/rows`, { recursive: true });
  await writeFileAtomic(
    failureFile(dir, index),
    `${new Date().toISOString()} ${message.replaceAll("\n", " ")}\n`,
  );
}

/**
 * The data and network context of a row: the trained network's, at the image
 * side it trained on (the cpu size averages 32-pixel images to 16).
 */
export function trainedNetworkContext(
  config: TrainConfig,
  train: ImageDataset,
): { dataset: string; image_size: number; channels: number; layers: number } {
  return {
    dataset: config.dataset,
    image_size: config.imageSide ?? train.height,
    channels: config.channels,
    layers: config.layers,
  };
}

/**
 * Runs one row (search if the method searches, then training), resuming what
 * an interrupted attempt left; returns false when the row was already done.
 */
export async function runGridRow(
  dir: string,
  row: GridRow,
  data: { train: ImageDataset; test: ImageDataset },
  machine: Record<string, string | number | boolean>,
  log: (line: string) => void = () => {},
): Promise<boolean> {
  const done = rowFile(dir, row.index);
  if (pathExists(done)) return false;
  const runDir = runFolder(dir, row);
  let genotype: Genotype;
  let searchSeconds = 0;
  let searchMeasures: SuiteRow = { search_cpu_seconds: 0 };
  if (SEARCH_METHODS.includes(row.method)) {
    const outDir = `${runDir}/search`;
    const search = await runSearch({
      config: resolveSearchConfig(row.method, row.size, {
        seed: row.seed,
        epochs: row.search_epochs,
        warmupEpochs: row.warmup_epochs,
      }),
      trainData: data.train,
      outDir,
      resume: pathExists(`${outDir}/checkpoint.safetensors`),
    });
    genotype = search.genotype;
    searchSeconds = search.seconds;
    searchMeasures = {
      ...searchSettling(search.history),
      // Empty where a resumed search's earlier epochs did not record it.
      search_cpu_seconds: Number.isFinite(search.cpuSeconds)
        ? +search.cpuSeconds.toFixed(2)
        : "",
    };
  } else {
    genotype = row.method === "random"
      ? randomGenotype(row.seed)
      : BUILTIN_GENOTYPES[row.method as keyof typeof BUILTIN_GENOTYPES];
  }
  const trainDir = `${runDir}/train`;
  const trainConfig = rowTrainConfig(row);
  const trained = await runTraining({
    config: trainConfig,
    genotype,
    trainData: data.train,
    testData: data.test,
    outDir: trainDir,
    resume: pathExists(`${trainDir}/checkpoint.safetensors`),
  });
  await Deno.mkdir(`${dir}/rows`, { recursive: true });
  await writeCsvAtomic<SuiteRow>(done, RESULT_COLUMNS, [{
    ...machine,
    ...trainedNetworkContext(trainConfig, data.train),
    ...row,
    ...settingColumns(row),
    ...trainedRow(searchSeconds, trained, genotype),
    param_free_normal_edges: parameterFreeNormalEdges(genotype),
    ...searchMeasures,
  }]);
  await Deno.remove(failureFile(dir, row.index)).catch(() => {});
  log(
    `grid row ${row.index} (${row.method}, seed ${row.seed}): test error ${
      (trained.testError * 100).toFixed(2)
    }%`,
  );
  return true;
}

/** What {@linkcode mergeGrid} found. */
export interface MergeResult {
  /** The finished rows, in manifest order. */
  rows: SuiteRow[];
  /** Mean ± std per method. */
  summary: SuiteRow[];
  /** Rows of the manifest without a result, and why. */
  missing: MissingRow[];
}

/** A row without a result: never started, interrupted, or failed. */
export interface MissingRow extends GridRow {
  /**
   * `failed`: its last attempt ended in an error (`detail` says which);
   * `interrupted`: it started (its run folder exists) but did not finish, as
   * when a process is killed; `not started`: nothing of it exists.
   */
  state: "failed" | "interrupted" | "not started";
  /** The recorded error, for a failed row. */
  detail?: string;
  /** When it failed (ISO time), for a failed row. */
  failedAt?: string;
}

/** Why a row has no result yet. */
async function missingRow(dir: string, row: GridRow): Promise<MissingRow> {
  const failure = failureFile(dir, row.index);
  if (pathExists(failure)) {
    // The record is "<ISO time> <message>".
    const record = (await Deno.readTextFile(failure)).trim();
    const space = record.indexOf(" ");
    return {
      ...row,
      state: "failed",
      failedAt: record.slice(0, space),
      detail: record.slice(space + 1),
    };
  }
  return {
    ...row,
    state: pathExists(runFolder(dir, row)) ? "interrupted" : "not started",
  };
}

/** Operations without parameters: poolings and the identity. */
const PARAMETER_FREE = new Set([
  "max_pool_3x3",
  "avg_pool_3x3",
  "skip_connect",
]);

/** Normal-cell edges (of 8) that are poolings or skip connections. */
export function parameterFreeNormalEdges(genotype: Genotype): number {
  return genotype.normal.filter(([op]) => PARAMETER_FREE.has(op)).length;
}

/**
 * Edges (of both cells' 16) that differ: per node, the chosen (operation,
 * input) pairs of `b` that `a` does not have (their order does not count).
 */
export function changedEdges(a: Genotype, b: Genotype): number {
  const cells = [[a.normal, b.normal], [a.reduce, b.reduce]] as const;
  let changed = 0;
  for (const [x, y] of cells) {
    for (let node = 0; 2 * node < y.length; node++) {
      const had = x.slice(2 * node, 2 * node + 2).map((e) => e.join("@"));
      for (const edge of y.slice(2 * node, 2 * node + 2)) {
        if (!had.includes(edge.join("@"))) changed++;
      }
    }
  }
  return changed;
}

/**
 * How a search settled: the edges its last epoch changed, and its final
 * validation accuracy (empty where not measured).
 */
export function searchSettling(history: EpochRow[]): SuiteRow {
  const last = history.at(-1);
  const before = history.at(-2);
  return {
    edges_changed_last_epoch: last && before
      ? changedEdges(
        parseGenotype(before.genotype, "epoch row"),
        parseGenotype(last.genotype, "epoch row"),
      )
      : "",
    search_valid_acc: last?.valid_acc ?? "",
  };
}

/** Collects the finished rows into `error.csv` and `error_summary.csv`. */
export async function mergeGrid(dir: string): Promise<MergeResult> {
  const manifest = await readManifest(`${dir}/manifest.csv`);
  const rows: SuiteRow[] = [];
  const missing: MissingRow[] = [];
  for (const row of manifest) {
    const path = rowFile(dir, row.index);
    if (!pathExists(path)) {
      missing.push(await missingRow(dir, row));
      continue;
    }
    const [record] = parse(await Deno.readTextFile(path), {
      columns: true,
    }) as Record<string, string>[];
    rows.push(record);
  }
  // Each method's summary carries the context of its first row; its seed
  // column says that it spans every seed.
  const summary = summarizeErrors(rows.map((r) => ({
    method: r.method,
    budget: r.budget ?? "",
    test_error: Number(r.test_error),
    search_seconds: Number(r.search_seconds),
    // Empty for a row without a search or from before the column: left out.
    search_cpu_seconds: r.search_cpu_seconds
      ? Number(r.search_cpu_seconds)
      : "",
    train_seconds: Number(r.train_seconds),
    params: Number(r.params),
  }))).map((s) => {
    const first = rows.find((r) =>
      r.method === s.method && (r.budget ?? "") === s.budget
    )!;
    return {
      ...Object.fromEntries(CONTEXT_COLUMNS.map((c) => [c, first[c]])),
      seed: "all",
      ...s,
    };
  });
  await writeCsvAtomic<SuiteRow>(`${dir}/error.csv`, RESULT_COLUMNS, rows);
  await writeCsvAtomic<SuiteRow>(
    `${dir}/error_summary.csv`,
    columnsFor("error summary", summary),
    summary,
  );
  return { rows, summary, missing };
}
