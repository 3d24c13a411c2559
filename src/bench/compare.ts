/**
 * Comparing two benchmark CSVs: rows are matched by their key columns (the
 * configuration, as `csv_schema.ts` declares it), and each metric is checked
 * against its declared rule:
 *
 * - memory and kernel counts: within 1% (they are deterministic);
 * - times and rates: within a ratio band of 3x, since machines and load differ;
 * - test errors: within twice the baseline's seed spread (at least 2 points).
 *
 * Only a change in the worse direction is a regression; a baseline row without
 * a counterpart is one too (a lost measurement).
 */
import { COLUMNS, type MetricRule, undeclaredColumns } from "./csv_schema.ts";

export type { MetricRule };

/** The metrics known to the comparison, with their rules (from the schema). */
export const METRIC_RULES: Record<string, MetricRule> = Object.fromEntries(
  Object.entries(COLUMNS).filter(([, c]) => c.rule).map((
    [name, c],
  ) => [name, c.rule!]),
);

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
    .filter((c) => COLUMNS[c].role === "key")
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

/**
 * Throws when a header holds a column that `csv_schema.ts` does not declare:
 * it would be neither key nor metric, and the comparison would mean nothing.
 */
export function checkDeclared(header: readonly string[], source: string): void {
  const unknown = undeclaredColumns(header);
  if (unknown.length > 0) {
    throw new Error(
      `${source} has undeclared column${unknown.length > 1 ? "s" : ""} ${
        unknown.map((c) => `"${c}"`).join(", ")
      }; declare ${
        unknown.length > 1 ? "them" : "it"
      } (type, unit, role, rule) in src/bench/csv_schema.ts`,
    );
  }
}

/** Compares parsed CSV rows; returns one line per metric and row. */
export function compareRows(
  baseRows: Row[],
  currentRows: Row[],
): ComparisonLine[] {
  checkDeclared(Object.keys(baseRows[0] ?? {}), "the baseline");
  checkDeclared(Object.keys(currentRows[0] ?? {}), "the new file");
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
