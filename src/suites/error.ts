/**
 * The error suite: for each seed, every search method searched at the chosen
 * size and its cell trained from scratch at the matching training size, and
 * the published `PC_DARTS_cifar` and `DARTS_V2` cells and a seeded `random`
 * cell trained with the same budget as references; the final-epoch test
 * error beside the search cost, and mean ± std per method. It is a grid
 * (`grid/`), planned and run in this process: the same rows, runner and merge
 * as `deno task grid`.
 */
import { checkCifar10 } from "../data/cifar10.ts";
import { loadTrainAndTest } from "../data/dataset_registry.ts";
import {
  ERROR_ROWS_SCHEMA,
  ERROR_SUMMARY_SCHEMA,
} from "../bench/csv_schema.ts";
import { errorFigure } from "../bench/error_figure.ts";
import { registerBenchSuite } from "../bench/suite_registry.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { activeBackend } from "../backends/backend_table.ts";
import { planGrid, writeManifest } from "../grid/manifest.ts";
import { GRID_DATASET, runGridRow } from "../grid/row_runner.ts";
import { mergeGrid } from "../grid/merge.ts";
import type { BenchSize, SuiteRow } from "../bench/suite_measurements.ts";
import { CONTEXT_COLUMNS } from "../bench/context.ts";

/** Per-run rows and the per-method summary. */
export interface ErrorSuiteResult {
  /** One row per (method or reference, seed). */
  rows: SuiteRow[];
  /** One row per method or reference. */
  summary: SuiteRow[];
}

/** The context a grid row records that the suite's file gives instead. */
const MACHINE_CONTEXT = new Set<string>(
  CONTEXT_COLUMNS.filter((c) =>
    !["dataset", "image_size", "channels", "layers", "seed"].includes(c)
  ),
);

/** A merged row without the context the suite's file writes itself. */
function withoutMachine(row: SuiteRow): SuiteRow {
  return Object.fromEntries(
    Object.entries(row).filter(([k]) => !MACHINE_CONTEXT.has(k)),
  ) as SuiteRow;
}

/** Runs the error suite; `workDir` is its grid folder. */
export async function errorSuite(
  size: BenchSize,
  seeds: number[],
  data: { train: ImageDataset; test: ImageDataset },
  workDir: string,
  log: (s: string) => void,
): Promise<ErrorSuiteResult> {
  const rows = planGrid({ size, seeds, backend: activeBackend().name });
  await writeManifest(workDir, rows);
  for (const row of rows) await runGridRow(workDir, row, data, {}, log);
  const merged = await mergeGrid(workDir);
  return {
    rows: merged.rows.map(withoutMachine),
    summary: merged.summary.map(withoutMachine),
  };
}

const CONTEXT = {
  dataset: GRID_DATASET,
  image_size: 32,
  channels: "per size",
  layers: "per size",
  seed: "per row",
};

registerBenchSuite({
  name: "error",
  inAll: true,
  schemas: [ERROR_ROWS_SCHEMA, ERROR_SUMMARY_SCHEMA],
  async figures(read) {
    const rows = await read("error");
    return rows && rows.length > 0 ? [await errorFigure(rows)] : [];
  },
  async check(s) {
    await checkCifar10(s.dataDir, "train");
    await checkCifar10(s.dataDir, "test");
  },
  async run(s) {
    // Checked (md5) by `check` already.
    const data = await loadTrainAndTest(GRID_DATASET, s.dataDir, {
      verify: false,
    });
    const result = await errorSuite(
      s.size,
      s.seeds,
      data,
      `${s.outDir}/runs`,
      s.log,
    );
    return {
      files: [
        {
          name: "error",
          schema: ERROR_ROWS_SCHEMA,
          rows: result.rows,
          context: CONTEXT,
        },
        {
          name: "error_summary",
          schema: ERROR_SUMMARY_SCHEMA,
          rows: result.summary,
          context: CONTEXT,
        },
      ],
    };
  },
});
