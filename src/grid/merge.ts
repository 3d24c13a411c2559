/**
 * A grid's merge: the finished rows into `error.csv`, their summary per
 * method, arm and budget into `error_summary.csv`, and the rows still
 * missing, with why.
 */
import { parse } from "csv-parse/sync";
import { writeCsvAtomic } from "../io/csv_file.ts";
import { summarizeErrors } from "../bench/error_summary.ts";
import type { SuiteRow } from "../bench/suite_measurements.ts";
import { CONTEXT_COLUMNS } from "../bench/context.ts";
import { columnsFor, ERROR_SUMMARY_SCHEMA } from "../bench/csv_schema.ts";
import { pathExists } from "../io/path_exists.ts";
import { type GridRow, readManifest } from "./manifest.ts";
import { failureFile, rowFile, runFolder } from "./grid_paths.ts";
import { RESULT_COLUMNS } from "./row_runner.ts";

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

/**
 * Throws where a row file is not its manifest row's result (a file copied from
 * another grid under its old index, say): its index, method and seed, and its
 * arm and budget where it records them, must be the manifest row's.
 */
export function checkRowMatches(
  path: string,
  record: Record<string, string>,
  row: GridRow,
): void {
  const wanted: [string, string][] = [
    ["index", String(row.index)],
    ["method", row.method],
    ["seed", String(row.seed)],
    ["arm", row.arm ?? ""],
    ["budget", row.budget ?? ""],
  ];
  const wrong = wanted.filter(([column, value]) =>
    record[column] !== undefined && record[column] !== value
  );
  if (wrong.length > 0) {
    throw new Error(
      `${path} is not the result of manifest row ${row.index}: ${
        wrong.map(([c, v]) => `its ${c} is "${record[c]}", the row's "${v}"`)
          .join("; ")
      }. Put that file under its own row's index, or remove it and run the row.`,
    );
  }
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
    checkRowMatches(path, record, row);
    rows.push(record);
  }
  // Each method's summary carries the context of its first row; its seed
  // column says that it spans every seed.
  const summary = summarizeErrors(rows.map((r) => ({
    method: r.method,
    arm: r.arm ?? "",
    budget: r.budget ?? "",
    test_error: Number(r.test_error),
    search_seconds: Number(r.search_seconds),
    // Empty for a row without a search or from before the column: left out.
    search_cpu_seconds: r.search_cpu_seconds
      ? Number(r.search_cpu_seconds)
      : "",
    train_seconds: Number(r.train_seconds),
    params: Number(r.params),
    genotype: r.genotype ?? "",
  }))).map((s) => {
    const first = rows.find((r) =>
      r.method === s.method && (r.arm ?? "") === s.arm &&
      (r.budget ?? "") === s.budget
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
    columnsFor(ERROR_SUMMARY_SCHEMA, summary),
    summary,
  );
  return { rows, summary, missing };
}
