/**
 * The per-method summary of error rows (the error suite's, the grid's merge
 * and the report's figure share it): mean ± sample standard deviation of the
 * test error, and the mean search seconds (wall, and CPU where rows record
 * it), training seconds and parameters (each only where every row has it).
 */
import type { SuiteRow } from "./suite_measurements.ts";
import { parseGenotype } from "../space/genotype.ts";
import { sharedPicks } from "../search/architecture_trace.ts";

/**
 * Mean pairwise agreement of the rows' cells: the (node, input, operation)
 * picks two cells share, of 16, over every pair; undefined with fewer than
 * two cells.
 */
export function meanAgreement(rows: SuiteRow[]): number | undefined {
  const cells = rows.filter((r) => typeof r.genotype === "string" && r.genotype)
    .map((r) => parseGenotype(r.genotype as string, "an error row"));
  if (cells.length < 2) return undefined;
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < cells.length; i++) {
    for (let j = i + 1; j < cells.length; j++) {
      sum += sharedPicks(cells[i], cells[j]);
      pairs++;
    }
  }
  return sum / pairs;
}

/** Mean and sample standard deviation (0 for one value). */
export function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1
    ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1)
    : 0;
  return { mean, std: Math.sqrt(variance) };
}

/** The mean of a column over rows, or undefined where a row lacks it. */
function meanOf(rows: SuiteRow[], column: string): number | undefined {
  const values = rows.map((r) => r[column]);
  if (values.some((v) => typeof v !== "number" || !Number.isFinite(v))) {
    return undefined;
  }
  return meanStd(values as number[]).mean;
}

/**
 * Mean ± std of the test error, and the mean search seconds, training seconds
 * and parameters, and how far the seeds' cells agree, per method, arm (an
 * ablation's) and budget (a sweep's; each empty otherwise), in order of
 * appearance.
 */
export function summarizeErrors(rows: SuiteRow[]): SuiteRow[] {
  const keyOf = (r: SuiteRow) =>
    `${r.method}\u0000${r.arm ?? ""}\u0000${r.budget ?? ""}`;
  const keys = [...new Set(rows.map(keyOf))];
  return keys.map((key) => {
    const mine = rows.filter((r) => keyOf(r) === key);
    const error = meanStd(mine.map((r) => r.test_error as number));
    const summary: SuiteRow = {
      method: mine[0].method,
      arm: mine[0].arm ?? "",
      budget: mine[0].budget ?? "",
      runs: mine.length,
      test_error_mean: +error.mean.toFixed(6),
      test_error_std: +error.std.toFixed(6),
      search_seconds_mean: +(meanOf(mine, "search_seconds") ?? NaN).toFixed(2),
    };
    const cpu = meanOf(mine, "search_cpu_seconds");
    if (cpu !== undefined) summary.search_cpu_seconds_mean = +cpu.toFixed(2);
    const train = meanOf(mine, "train_seconds");
    if (train !== undefined) summary.train_seconds_mean = +train.toFixed(2);
    const params = meanOf(mine, "params");
    if (params !== undefined) summary.params_mean = Math.round(params);
    const agreement = meanAgreement(mine);
    if (agreement !== undefined) {
      summary.picks_agreement_mean = +agreement.toFixed(3);
    }
    return summary;
  });
}
