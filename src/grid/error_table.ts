/**
 * Results tables, generated from a grid's `error_summary.csv` so that the
 * figures a user reads are the committed ones: the text between the two
 * markers is replaced whole by `deno task docs`.
 */
import { parse } from "csv-parse/sync";
import { ERROR_SUMMARY_SCHEMA } from "../bench/csv_schema.ts";
import { CONTEXT_COLUMNS } from "../bench/context.ts";
import { formatMarkdownTable } from "../io/text_table.ts";

/** Summary columns the table does without. */
const OPTIONAL = new Set(["arm", "picks_agreement_mean"]);

/**
 * The summary's own columns, past the context every row starts with; a
 * summary from before budgets existed has no `budget` column (none swept),
 * and one whose rows record no search CPU seconds none of their mean.
 */
const SUMMARY_COLUMNS = ERROR_SUMMARY_SCHEMA.columns.filter((c) =>
  !(CONTEXT_COLUMNS as readonly string[]).includes(c) && c !== "budget" &&
  c !== "search_cpu_seconds_mean"
);

/** The line before a table generated from `source` (a summary CSV's path). */
export function errorTableStart(source: string): string {
  return `<!-- deno task docs: from ${source} -->`;
}
/** The line after it. */
export const ERROR_TABLE_END = "<!-- /deno task docs -->";

function grouped(value: number, digits = 0): string {
  return value.toLocaleString("en-US", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

/**
 * The table of an `error_summary.csv`: per method, the seeds, mean ± std test
 * error in percent, mean search seconds (a dash for cells that were not
 * searched; CPU seconds where every searched row has them, as pauses and other
 * work move wall seconds), mean training seconds and mean parameters in
 * thousands.
 */
export function errorTableMarkdown(summaryCsv: string): string {
  const rows = parse(summaryCsv, { columns: true }) as Record<
    string,
    string
  >[];
  if (rows.length === 0) {
    throw new Error("error_summary.csv has no rows: run deno task grid merge");
  }
  for (const column of SUMMARY_COLUMNS) {
    // Summaries from before arms and agreements lack those columns; the
    // table shows neither.
    if (OPTIONAL.has(column)) continue;
    if (!(column in rows[0])) {
      throw new Error(
        `error_summary.csv has no ${column} column: rerun deno task grid merge`,
      );
    }
  }
  const searched = rows.filter((r) => Number(r.search_seconds_mean) > 0);
  const cpu = searched.length > 0 &&
    searched.every((r) => Number(r.search_cpu_seconds_mean) > 0);
  return formatMarkdownTable(
    [
      "method",
      "seeds",
      "test error",
      cpu ? "search (CPU s)" : "search (s)",
      "training (s)",
      "params",
    ],
    rows.map((r) => {
      const search = Number(
        cpu ? r.search_cpu_seconds_mean : r.search_seconds_mean,
      );
      return [
        `\`${r.method}\`${
          [r.arm, r.budget].filter(Boolean).map((x) => ` (${x})`).join("")
        }`,
        r.runs,
        `${grouped(100 * Number(r.test_error_mean), 1)} ± ${
          grouped(100 * Number(r.test_error_std), 1)
        } %`,
        search > 0 ? grouped(search) : "—",
        grouped(Number(r.train_seconds_mean)),
        `${grouped(Number(r.params_mean) / 1000)} k`,
      ];
    }),
  );
}

/**
 * `text` (the page at `page`) with the table between the markers of `source`
 * replaced by `table`.
 */
export function withErrorTable(
  text: string,
  table: string,
  source: string,
  page: string,
): string {
  const marker = errorTableStart(source);
  const start = text.indexOf(marker);
  const end = text.indexOf(ERROR_TABLE_END, start);
  if (start < 0 || end < start) {
    throw new Error(
      `${page} lacks the markers around its results table ("${marker}" ... "${ERROR_TABLE_END}")`,
    );
  }
  return `${text.slice(0, start)}${marker}\n\n${table}\n\n${text.slice(end)}`;
}
