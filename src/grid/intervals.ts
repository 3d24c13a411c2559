/**
 * Differences between a grid's groups (a method, arm or budget, over its
 * seeds): mean test error of one minus the other, with Welch's 95 %
 * interval, decided where the interval excludes 0. Computed from the rows,
 * never from rounded means.
 */
import { parse } from "csv-parse/sync";
import { welchInterval } from "../bench/difference_interval.ts";
import { writeCsvAtomic } from "../io/csv_file.ts";
import { DIFFERENCE_INTERVALS_SCHEMA } from "../bench/csv_schema.ts";

type Row = Record<string, string>;

/** A row's group: `method`, then `/arm` and `/budget` where it has them. */
export function groupName(row: Row): string {
  return [row.method, row.arm, row.budget].filter(Boolean).join("/");
}

/** One compared pair. */
export interface IntervalRow {
  a: string;
  b: string;
  a_runs: number;
  b_runs: number;
  a_error_mean: number;
  b_error_mean: number;
  difference: number;
  difference_low: number;
  difference_high: number;
  df: number;
  decided: boolean;
}

/** Parses `A~B,C~D` into pairs of group names. */
export function parsePairs(text: string): [string, string][] {
  return text.split(",").map((pair) => {
    const parts = pair.split("~").map((p) => p.trim());
    if (parts.length !== 2 || parts.some((p) => p === "")) {
      throw new Error(
        `--pairs takes A~B,C~D (groups: method, method/arm, method/budget), not "${pair}"`,
      );
    }
    return parts as [string, string];
  });
}

/** The test error of each pair's groups in `rows`, compared. */
export function differenceIntervals(
  rows: Row[],
  pairs: [string, string][],
): IntervalRow[] {
  const errors = new Map<string, number[]>();
  for (const row of rows) {
    const name = groupName(row);
    errors.set(name, [...(errors.get(name) ?? []), Number(row.test_error)]);
  }
  const known = [...errors.keys()].join(", ");
  return pairs.map(([a, b]) => {
    for (const name of [a, b]) {
      if (!errors.has(name)) {
        throw new Error(`no rows of group "${name}"; the groups are ${known}`);
      }
    }
    const x = errors.get(a)!;
    const y = errors.get(b)!;
    const r = welchInterval(x, y);
    const mean = (v: number[]) => v.reduce((s, e) => s + e, 0) / v.length;
    return {
      a,
      b,
      a_runs: x.length,
      b_runs: y.length,
      a_error_mean: +mean(x).toFixed(6),
      b_error_mean: +mean(y).toFixed(6),
      difference: +r.difference.toFixed(6),
      difference_low: +r.low.toFixed(6),
      difference_high: +r.high.toFixed(6),
      df: +r.df.toFixed(2),
      decided: r.decided,
    };
  });
}

/** Writes `dir/intervals.csv` from `dir/error.csv`; returns its rows. */
export async function writeIntervals(
  dir: string,
  pairs: [string, string][],
): Promise<IntervalRow[]> {
  const rows = parse(await Deno.readTextFile(`${dir}/error.csv`), {
    columns: true,
  }) as Row[];
  const out = differenceIntervals(rows, pairs);
  await writeCsvAtomic(
    `${dir}/intervals.csv`,
    DIFFERENCE_INTERVALS_SCHEMA.columns as (keyof IntervalRow)[],
    out,
  );
  return out;
}
