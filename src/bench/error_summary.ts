/**
 * The per-method summary of error rows (the error suite's, the grid's merge
 * and the report's figure share it): mean ± sample standard deviation of the
 * test error and the mean search seconds.
 */
import type { SuiteRow } from "./suites.ts";

function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1
    ? values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1)
    : 0;
  return { mean, std: Math.sqrt(variance) };
}

/** Mean ± std of the test error (and mean search seconds) per method, in order of appearance. */
export function summarizeErrors(rows: SuiteRow[]): SuiteRow[] {
  const names = [...new Set(rows.map((r) => r.method as string))];
  return names.map((name) => {
    const mine = rows.filter((r) => r.method === name);
    const error = meanStd(mine.map((r) => r.test_error as number));
    return {
      method: name,
      runs: mine.length,
      test_error_mean: +error.mean.toFixed(6),
      test_error_std: +error.std.toFixed(6),
      search_seconds_mean: +meanStd(mine.map((r) => r.search_seconds as number))
        .mean.toFixed(2),
    };
  });
}
