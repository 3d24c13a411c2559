/**
 * A grid's manifest: one row per run (a searched method, a reference cell or
 * a genotype file, at one seed), with the settings where the row differs from
 * its size: the search's budget, K, edge normalization, batch, learning rate
 * and channels (an ablation arm), and the training's epochs, images and
 * image side. `planGrid` makes the rows from flags; the manifest file is
 * their CSV.
 */
import { parse } from "csv-parse/sync";
import { SEARCH_METHODS } from "../search/search_config.ts";
import { searchMethod } from "../search/search_methods.ts";
import { resolveTrainConfig } from "../train/train_config.ts";
import { writeCsvAtomic } from "../io/csv_file.ts";
import { GRID_MANIFEST_SCHEMA } from "../bench/csv_schema.ts";

/** The reference cells, trained without a search. */
export const REFERENCE_CELLS = ["PC_DARTS_cifar", "DARTS_V2", "random"];

/** Every method a grid can hold: the searches, then the references. */
export const GRID_METHODS: string[] = [...SEARCH_METHODS, ...REFERENCE_CELLS];

/** One run of the grid. */
export interface GridRow {
  /** Position in the manifest (the array task index). */
  index: number;
  /**
   * A search method, a reference cell, or (with `genotype_file`) the name
   * the trained cell is reported under.
   */
  method: string;
  /** Seed of the search and the training. */
  seed: number;
  /** Search and training size. */
  size: string;
  /** Backend to run on. */
  backend: string;
  /** An ablation arm's label (`k2`, `k4-noen`, `b256`); empty: the method's own. */
  arm?: string;
  /** A sweep's budget label (`e15`); empty: the size's own search. */
  budget?: string;
  /** Search epochs, where they differ from the size's. */
  search_epochs?: number;
  /** Epochs before architecture steps, where they differ from the size's. */
  warmup_epochs?: number;
  /** K of partial channel connections, where it differs from the method's. */
  partial_channels?: number;
  /** Edge normalization, where it differs from the method's. */
  edge_normalization?: boolean;
  /** The search's batch, where it differs from the size's. */
  batch_size?: number;
  /** The search's weight learning rate, where it differs from the method's. */
  search_lr?: number;
  /** The search network's initial channels, where they differ from the size's. */
  search_channels?: number;
  /** Training epochs, where they differ from the size's. */
  train_epochs?: number;
  /** Class-balanced training images, where they differ from the size's. */
  train_subset?: number;
  /** The side training images are averaged to, where it differs. */
  train_image_side?: number;
  /** A genotype file (a search's `genotype.json`) the row trains, with no search. */
  genotype_file?: string;
}

/** The whole-number settings of a manifest row. */
export const INTEGER_SETTINGS = [
  "search_epochs",
  "warmup_epochs",
  "partial_channels",
  "batch_size",
  "search_channels",
  "train_epochs",
  "train_subset",
  "train_image_side",
] as const;

const MANIFEST_COLUMNS = GRID_MANIFEST_SCHEMA
  .columns as (keyof GridRow)[];

/**
 * Every per-row setting, as result columns (empty where the size's own): the
 * manifest's columns from `arm` up to the genotype file.
 */
export const SETTING_COLUMNS: readonly (keyof GridRow)[] = MANIFEST_COLUMNS
  .slice(
    MANIFEST_COLUMNS.indexOf("arm"),
    MANIFEST_COLUMNS.indexOf("genotype_file"),
  );

/**
 * The warm-up a search method gets at `epochs`: its reference share of its
 * epochs (pcdarts: 15 of 50), rounded.
 */
export function warmupFor(method: string, epochs: number): number {
  const d = searchMethod(method).defaults;
  return Math.round((d.warmupEpochs * epochs) / d.epochs);
}

/** An ablation arm: search settings that differ from the method's. */
export interface SearchArm {
  /** K. */
  partialChannels?: number;
  /** Edge normalization. */
  edgeNormalization?: boolean;
  /** The search's batch. */
  batchSize?: number;
  /** The search's weight learning rate. */
  learningRate?: number;
  /** The search network's initial channels. */
  channels?: number;
  /** The arm's label (default: made from the settings, `k2-noen-b256`). */
  label?: string;
}

/** An arm's label from its settings: `k2`, `noen`, `b256`, `lr0.025`, `c16`, joined by `-`. */
export function armLabel(arm: SearchArm): string {
  if (arm.label !== undefined) return arm.label;
  const parts: string[] = [];
  if (arm.channels !== undefined) parts.push(`c${arm.channels}`);
  if (arm.partialChannels !== undefined) parts.push(`k${arm.partialChannels}`);
  if (arm.edgeNormalization !== undefined) {
    parts.push(arm.edgeNormalization ? "en" : "noen");
  }
  if (arm.batchSize !== undefined) parts.push(`b${arm.batchSize}`);
  if (arm.learningRate !== undefined) parts.push(`lr${arm.learningRate}`);
  return parts.join("-");
}

/** The options of {@linkcode planGrid}. */
export interface GridPlan {
  size: string;
  seeds: number[];
  backend: string;
  methods?: string[];
  /** A budget sweep: each search method at each number of epochs. */
  searchEpochs?: number[];
  /** Search settings every searching row takes (one arm). */
  arm?: SearchArm;
  train?: { epochs?: number; subset?: number; imageSide?: number };
  /** Rows that train this genotype file (no search), reported as `methods[0]`. */
  genotypeFile?: string;
  /** The index of the first row (rows appended to a manifest). */
  firstIndex?: number;
}

/**
 * The manifest's rows: every method at every seed. With `searchEpochs` (a
 * sweep), each search method gets one row per budget (`e<epochs>`, its
 * warm-up at its reference share) and each reference cell one row per seed,
 * those first, then the budgets in increasing order; the training settings
 * apply to every row and the arm's to every searching row.
 */
export function planGrid(options: GridPlan): GridRow[] {
  const methods = options.methods ?? GRID_METHODS;
  if (options.genotypeFile !== undefined) {
    if (methods.length !== 1 || GRID_METHODS.includes(methods[0])) {
      throw new Error(
        `rows that train a genotype file take one new name for the cell (--methods NAME), not ${
          methods.join(",")
        }`,
      );
    }
  } else {
    for (const m of methods) {
      if (!GRID_METHODS.includes(m)) {
        throw new Error(
          `unknown method "${m}"; choose from ${GRID_METHODS.join(", ")}`,
        );
      }
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
  const arm = options.arm ?? {};
  const armColumns = Object.fromEntries(
    Object.entries({
      partial_channels: arm.partialChannels,
      edge_normalization: arm.edgeNormalization,
      batch_size: arm.batchSize,
      search_lr: arm.learningRate,
      search_channels: arm.channels,
    }).filter(([, v]) => v !== undefined),
  );
  const label = armLabel(arm);
  // Only the settings given: a row without one takes the size's.
  const train = Object.fromEntries(
    Object.entries({
      train_epochs: options.train?.epochs,
      train_subset: options.train?.subset,
      train_image_side: options.train?.imageSide,
    }).filter(([, v]) => v !== undefined),
  );
  const first = options.firstIndex ?? 0;
  const rows: GridRow[] = [];
  const add = (method: string, seed: number, epochs?: number) => {
    const searching = SEARCH_METHODS.includes(method);
    rows.push({
      index: first + rows.length,
      method,
      seed,
      size: options.size,
      backend: options.backend,
      ...(searching && label ? { arm: label } : {}),
      ...train,
      ...(epochs === undefined ? {} : {
        budget: `e${epochs}`,
        search_epochs: epochs,
        warmup_epochs: warmupFor(method, epochs),
      }),
      ...(searching ? armColumns : {}),
      ...(options.genotypeFile === undefined
        ? {}
        : { genotype_file: options.genotypeFile }),
    });
  };
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
    if (r.arm) row.arm = r.arm;
    if (r.budget) row.budget = r.budget;
    if (r.genotype_file) row.genotype_file = r.genotype_file;
    let settingsOk = true;
    for (const setting of INTEGER_SETTINGS) {
      const text = r[setting];
      if (text === undefined || text === "") continue;
      const value = Number(text);
      if (!Number.isInteger(value) || value < 0) settingsOk = false;
      row[setting] = value;
    }
    if (r.edge_normalization !== undefined && r.edge_normalization !== "") {
      if (!["true", "false"].includes(r.edge_normalization)) settingsOk = false;
      row.edge_normalization = r.edge_normalization === "true";
    }
    if (r.search_lr !== undefined && r.search_lr !== "") {
      row.search_lr = Number(r.search_lr);
      if (!(row.search_lr > 0)) settingsOk = false;
    }
    const known = GRID_METHODS.includes(row.method) ||
      (row.genotype_file !== undefined && row.method !== "");
    if (
      !settingsOk || row.index !== i || !known ||
      !Number.isInteger(row.seed) || !row.size || !row.backend
    ) {
      throw new Error(
        `${path} is not a grid manifest: line ${i + 2} is ${JSON.stringify(r)}`,
      );
    }
    return row;
  });
}
