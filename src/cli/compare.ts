/**
 * `deno task compare BASE.csv NEW.csv [BASE2.csv NEW2.csv ...]`: compares
 * benchmark reports (see src/bench/compare.ts for the rules), prints a table of
 * differences and exits 1 on a regression or a lost row.
 */
import { parse } from "csv-parse/sync";
import { checkDeclared, compareRows, hasRegression } from "../bench/compare.ts";
import { formatTable } from "../io/text_table.ts";

async function readCsv(path: string): Promise<Record<string, string>[]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skip_empty_lines: true });
  } catch (error) {
    throw new Error(
      `${path} is not a CSV report: ${(error as Error).message}`,
    );
  }
  if (rows.length === 0) {
    throw new Error(`${path} is not a CSV report: it has no rows`);
  }
  checkDeclared(Object.keys(rows[0]), path);
  return rows;
}

/** Runs the compare command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  if (args.length === 0 || args.length % 2 !== 0) {
    console.error(
      "usage: deno task compare BASE.csv NEW.csv [BASE2.csv NEW2.csv ...]",
    );
    return 2;
  }
  let failed = false;
  for (let i = 0; i < args.length; i += 2) {
    let base, current;
    try {
      base = await readCsv(args[i]);
      current = await readCsv(args[i + 1]);
    } catch (error) {
      console.error(`compare: ${(error as Error).message}`);
      return 1;
    }
    const lines = compareRows(base, current);
    const notable = lines.filter((l) => l.verdict !== "ok");
    console.log(
      `${args[i]} vs ${
        args[i + 1]
      }: ${lines.length} values compared, ${notable.length} outside tolerance or unmatched`,
    );
    if (notable.length > 0) {
      console.log(formatTable(
        ["configuration", "metric", "base", "new", "verdict"],
        notable.map((
          l,
        ) => [
          l.key.length > 90 ? `${l.key.slice(0, 87)}...` : l.key,
          l.metric,
          l.base,
          l.current,
          l.verdict,
        ]),
      ));
    }
    if (hasRegression(lines)) failed = true;
  }
  console.log(failed ? "compare: REGRESSION" : "compare: ok");
  return failed ? 1 : 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`compare: ${(error as Error).message}`);
    Deno.exit(2);
  }
}
