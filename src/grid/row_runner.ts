/**
 * Runs one row of a grid: its search (a searching method's, with the row's
 * arm and budget), then the training of the cell (searched, a reference
 * cell, or a genotype file), each resuming from its checkpoint; then the
 * row's CSV, written atomically. A row whose CSV exists does nothing, so a
 * rerun, a retried SLURM array task or a retried Kubernetes pod finishes it.
 */
import type { ImageDataset } from "../data/dataset.ts";
import {
  formatGenotype,
  type Genotype,
  parseGenotype,
} from "../space/genotype.ts";
import { writeCsvAtomic } from "../io/csv_file.ts";
import {
  resolveSearchConfig,
  SEARCH_METHODS,
  type SearchConfig,
} from "../search/search_config.ts";
import { runSearch } from "../search/search.ts";
import { resolveTrainConfig, type TrainConfig } from "../train/train_config.ts";
import { runTraining, type TrainResult } from "../train/train.ts";
import { BUILTIN_GENOTYPES, randomGenotype } from "../train/genotypes.ts";
import type { SuiteRow } from "../bench/suite_measurements.ts";
import { ERROR_ROWS_SCHEMA } from "../bench/csv_schema.ts";
import { pathExists } from "../io/path_exists.ts";
import type { BackendInfo } from "../backends/init.ts";
import { writeRunConfig } from "../run/run_config_file.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import {
  parameterFreeNormalEdges,
  searchSettling,
} from "../search/architecture_trace.ts";
import { type GridRow, SETTING_COLUMNS } from "./manifest.ts";
import { failureFile, rowFile, runFolder } from "./grid_paths.ts";

/** The data set every grid row searches and trains on. */
export const GRID_DATASET = "cifar10";

/**
 * The columns of a finished row and of the merged `error.csv`: the context
 * every benchmark row starts with (commit, versions, backend, device, machine,
 * data and network sizes, seed), then the row's own.
 */
export const RESULT_COLUMNS: string[] = [
  ...ERROR_ROWS_SCHEMA.columns,
];

/** The measured part of a row: costs, test error, size, genotype. */
export function trainedRow(
  searchSeconds: number,
  trained: TrainResult,
  genotype: Genotype,
): SuiteRow {
  return {
    search_seconds: +searchSeconds.toFixed(2),
    train_seconds: +trained.seconds.toFixed(2),
    test_images: trained.testImages,
    test_error: +trained.testError.toFixed(6),
    params: trained.parameters,
    genotype: formatGenotype(genotype),
  };
}

/** The training configuration of a row: its size with the row's settings. */
export function rowTrainConfig(row: GridRow): TrainConfig {
  return resolveTrainConfig(row.size, row.genotype_file ?? row.method, {
    seed: row.seed,
    epochs: row.train_epochs,
    subset: row.train_subset,
    imageSide: row.train_image_side,
  });
}

/** The search configuration of a searching row: its size with the row's settings. */
export function rowSearchConfig(row: GridRow): SearchConfig {
  return resolveSearchConfig(row.method, row.size, {
    seed: row.seed,
    epochs: row.search_epochs,
    warmupEpochs: row.warmup_epochs,
    partialChannels: row.partial_channels,
    edgeNormalization: row.edge_normalization,
    batchSize: row.batch_size,
    learningRate: row.search_lr,
    channels: row.search_channels,
  });
}

/** The row's settings as result columns (empty where the size's own). */
function settingColumns(row: GridRow): SuiteRow {
  return Object.fromEntries(
    SETTING_COLUMNS.map((s) => [s, row[s] ?? ""]),
  ) as SuiteRow;
}

/** The cell a row trains without a search: a reference cell or a genotype file. */
async function rowGenotype(row: GridRow): Promise<Genotype> {
  if (row.genotype_file !== undefined) {
    return parseGenotype(
      await Deno.readTextFile(row.genotype_file),
      row.genotype_file,
    );
  }
  return row.method === "random"
    ? randomGenotype(row.seed)
    : BUILTIN_GENOTYPES[row.method as keyof typeof BUILTIN_GENOTYPES];
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
 * Where a row's runs start: their backend and data, written into each run
 * folder's config.json.
 */
export interface RowSource {
  backend: BackendInfo;
  dataDir: string;
  verify: boolean;
}

/** Writes a new run folder's config.json (a resumed one keeps its own). */
async function startRun(
  outDir: string,
  config: unknown,
  source: RowSource | undefined,
): Promise<boolean> {
  const resume = pathExists(`${outDir}/checkpoint.safetensors`);
  if (!resume && source !== undefined) {
    await Deno.mkdir(outDir, { recursive: true });
    await writeRunConfig(outDir, { config, ...source });
  }
  return resume;
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
  source?: RowSource,
): Promise<boolean> {
  const done = rowFile(dir, row.index);
  if (pathExists(done)) return false;
  const runDir = runFolder(dir, row);
  let genotype: Genotype;
  let searchSeconds = 0;
  let searchMeasures: SuiteRow = { search_cpu_seconds: 0 };
  if (row.genotype_file === undefined && SEARCH_METHODS.includes(row.method)) {
    const outDir = `${runDir}/search`;
    const config = rowSearchConfig(row);
    const search = await runSearch({
      config,
      trainData: data.train,
      outDir,
      resume: await startRun(outDir, config, source),
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
    genotype = await rowGenotype(row);
  }
  const trainDir = `${runDir}/train`;
  const trainConfig = rowTrainConfig(row);
  const trained = await runTraining({
    config: trainConfig,
    genotype,
    trainData: data.train,
    testData: data.test,
    outDir: trainDir,
    resume: await startRun(trainDir, trainConfig, source),
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
