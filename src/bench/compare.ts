/**
 * Comparing two benchmark CSVs: rows are matched by their configuration
 * columns (everything that is neither a metric, nor an output, nor context that
 * describes the machine or the moment), and each metric is checked against its
 * rule:
 *
 * - memory and kernel counts: within 1% (they are deterministic);
 * - times and rates: within a ratio band of 3x, since machines and load differ;
 * - test errors: within twice the baseline's seed spread (at least 2 points).
 *
 * Only a change in the worse direction is a regression; a baseline row without
 * a counterpart is one too (a lost measurement).
 */
import { VOLATILE_CONTEXT } from "./context.ts";

/** How a metric is compared. */
export interface MetricRule {
  /** `relative`: |new − base| / |base| ≤ tolerance; `ratio`: new/base within [1/t, t]; `spread`. */
  kind: "relative" | "ratio" | "spread";
  /** The tolerance (see kind). */
  tolerance: number;
  /** Whether a larger value is worse. */
  higherIsWorse: boolean;
}

/** The metrics known to the comparison. */
export const METRIC_RULES: Record<string, MetricRule> = {
  peak_bytes: { kind: "relative", tolerance: 0.01, higherIsWorse: true },
  peak_buffer_bytes: {
    kind: "relative",
    tolerance: 0.01,
    higherIsWorse: true,
  },
  peak_bytes_half_batch: {
    kind: "relative",
    tolerance: 0.01,
    higherIsWorse: true,
  },
  bytes_per_sample: { kind: "relative", tolerance: 0.01, higherIsWorse: true },
  fixed_bytes: { kind: "relative", tolerance: 0.01, higherIsWorse: true },
  ratio_to_k1: { kind: "relative", tolerance: 0.01, higherIsWorse: true },
  max_batch_under_budget: {
    kind: "relative",
    tolerance: 0.01,
    higherIsWorse: false,
  },
  kernels_per_step: { kind: "relative", tolerance: 0.01, higherIsWorse: true },
  flops_per_step: { kind: "relative", tolerance: 0.001, higherIsWorse: true },
  gflops: { kind: "ratio", tolerance: 3, higherIsWorse: false },
  rss_bytes: { kind: "ratio", tolerance: 2, higherIsWorse: true },
  median_ms: { kind: "ratio", tolerance: 3, higherIsWorse: true },
  median_step_ms: { kind: "ratio", tolerance: 3, higherIsWorse: true },
  images_per_s: { kind: "ratio", tolerance: 3, higherIsWorse: false },
  seconds_per_epoch: { kind: "ratio", tolerance: 3, higherIsWorse: true },
  projected_search_days: { kind: "ratio", tolerance: 3, higherIsWorse: true },
  search_seconds: { kind: "ratio", tolerance: 3, higherIsWorse: true },
  search_seconds_mean: { kind: "ratio", tolerance: 3, higherIsWorse: true },
  train_seconds: { kind: "ratio", tolerance: 3, higherIsWorse: true },
  test_error: { kind: "spread", tolerance: 0.02, higherIsWorse: true },
  test_error_mean: { kind: "spread", tolerance: 0.02, higherIsWorse: true },
};

/** Columns that are results but not compared (they identify nothing). */
const OUTPUT_COLUMNS = new Set([
  "genotype",
  "days_unit",
  "test_images",
  "params",
  "runs",
  "steps",
  "test_error_std",
]);

/** One compared value. */
export interface ComparisonLine {
  /** The row's configuration, `column=value` joined. */
  key: string;
  /** The metric (or `(row)` for a missing or new row). */
  metric: string;
  /** Baseline value. */
  base: string;
  /** New value. */
  current: string;
  /** `ok`, `improved`, `REGRESSION`, `missing`, `new`. */
  verdict: "ok" | "improved" | "REGRESSION" | "missing" | "new";
}

type Row = Record<string, string>;

function keyOf(row: Row): string {
  return Object.keys(row)
    .filter((c) =>
      !(c in METRIC_RULES) && !VOLATILE_CONTEXT.has(c) && !OUTPUT_COLUMNS.has(c)
    )
    .sort()
    .map((c) => `${c}=${row[c]}`)
    .join(" ");
}

function judge(
  rule: MetricRule,
  base: number,
  current: number,
  baseSpread: number,
): ComparisonLine["verdict"] {
  if (!Number.isFinite(base) || !Number.isFinite(current)) {
    return base === current || (isNaN(base) && isNaN(current))
      ? "ok"
      : "REGRESSION";
  }
  const worse = rule.higherIsWorse ? current > base : current < base;
  let within: boolean;
  if (rule.kind === "relative") {
    within = Math.abs(current - base) <=
      rule.tolerance * Math.max(Math.abs(base), 1e-12);
  } else if (rule.kind === "ratio") {
    const ratio = base === 0 ? (current === 0 ? 1 : Infinity) : current / base;
    within = ratio <= rule.tolerance && ratio >= 1 / rule.tolerance;
  } else {
    within =
      Math.abs(current - base) <= Math.max(2 * baseSpread, rule.tolerance);
  }
  if (within) return "ok";
  return worse ? "REGRESSION" : "improved";
}

/** Compares parsed CSV rows; returns one line per metric and row. */
export function compareRows(
  baseRows: Row[],
  currentRows: Row[],
): ComparisonLine[] {
  const current = new Map(currentRows.map((r) => [keyOf(r), r]));
  const seen = new Set<string>();
  const lines: ComparisonLine[] = [];
  for (const base of baseRows) {
    const key = keyOf(base);
    const match = current.get(key);
    if (!match) {
      lines.push({
        key,
        metric: "(row)",
        base: "present",
        current: "absent",
        verdict: "missing",
      });
      continue;
    }
    seen.add(key);
    for (const [metric, rule] of Object.entries(METRIC_RULES)) {
      if (!(metric in base) || base[metric] === "") continue;
      const spread = Number(base.test_error_std ?? 0) || 0;
      const verdict = judge(
        rule,
        Number(base[metric]),
        Number(match[metric]),
        spread,
      );
      lines.push({
        key,
        metric,
        base: base[metric],
        current: match[metric] ?? "",
        verdict,
      });
    }
  }
  for (const [key] of current) {
    if (!seen.has(key)) {
      lines.push({
        key,
        metric: "(row)",
        base: "absent",
        current: "present",
        verdict: "new",
      });
    }
  }
  return lines;
}

/** Whether a comparison holds a regression or a lost row. */
export function hasRegression(lines: ComparisonLine[]): boolean {
  return lines.some((l) =>
    l.verdict === "REGRESSION" || l.verdict === "missing"
  );
}
