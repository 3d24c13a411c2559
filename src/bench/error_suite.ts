/**
 * The error suite: for each method and seed, search at the chosen size, derive
 * the genotype, train it from scratch at the matching training size, and record
 * the final-epoch test error beside the search cost; the published
 * `PC_DARTS_cifar` and `DARTS_V2` cells and a seeded `random` cell are trained
 * with the same budget as references. A summary gives mean ± std per method.
 */
import type { ImageDataset } from "../data/dataset.ts";
import type { Genotype } from "../space/genotype.ts";
import { formatGenotype } from "../space/genotype.ts";
import {
  resolveSearchConfig,
  SEARCH_METHODS,
} from "../search/search_config.ts";
import { runSearch } from "../search/search.ts";
import { resolveTrainConfig } from "../train/train_config.ts";
import { runTraining, type TrainResult } from "../train/train.ts";
import { BUILTIN_GENOTYPES, randomGenotype } from "../train/genotypes.ts";
import type { BenchSize, SuiteRow } from "./suites.ts";
import { summarizeErrors } from "./error_summary.ts";

export { summarizeErrors };

/** Per-run rows and the per-method summary. */
export interface ErrorSuiteResult {
  /** One row per (method or reference, seed). */
  rows: SuiteRow[];
  /** One row per method or reference. */
  summary: SuiteRow[];
}

/** The measured part of an error-suite row: costs, test error, size, genotype. */
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

/** Runs the error suite; `workDir` receives each run's folder. */
export async function errorSuite(
  size: BenchSize,
  seeds: number[],
  data: { train: ImageDataset; test: ImageDataset },
  workDir: string,
  log: (s: string) => void,
): Promise<ErrorSuiteResult> {
  const rows: SuiteRow[] = [];
  const train = async (
    name: string,
    genotype: Genotype,
    seed: number,
    searchSeconds: number,
  ) => {
    const config = resolveTrainConfig(size, name, { seed });
    const result = await runTraining({
      config,
      genotype,
      trainData: data.train,
      testData: data.test,
      outDir: `${workDir}/train-${name}-s${seed}`,
    });
    rows.push({
      method: name,
      seed,
      ...trainedRow(searchSeconds, result, genotype),
    });
    log(
      `error ${name} seed ${seed}: test error ${
        (result.testError * 100).toFixed(2)
      }%`,
    );
  };
  for (const seed of seeds) {
    for (const method of SEARCH_METHODS) {
      const config = resolveSearchConfig(method, size, { seed });
      const search = await runSearch({
        config,
        trainData: data.train,
        outDir: `${workDir}/search-${method}-s${seed}`,
      });
      await train(method, search.genotype, seed, search.seconds);
    }
    await train("PC_DARTS_cifar", BUILTIN_GENOTYPES.PC_DARTS_cifar, seed, 0);
    await train("DARTS_V2", BUILTIN_GENOTYPES.DARTS_V2, seed, 0);
    await train("random", randomGenotype(seed), seed, 0);
  }
  const summary = summarizeErrors(rows);
  return { rows, summary };
}
