/**
 * A search run folder's `epochs.csv` reduced to what the computation alone
 * decides (no times, memory or commit): what two runs that must agree are
 * compared by.
 */
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { EPOCH_COLUMNS, PROCESS_COLUMNS } from "../search/epoch_row.ts";

/** The columns that depend on the computation alone. */
export const COMPUTED_COLUMNS: readonly string[] = EPOCH_COLUMNS.filter((c) =>
  !PROCESS_COLUMNS.includes(c)
);

/** The run folder's epochs, each as its computed columns' values. */
export async function computedRows(dir: string): Promise<string[][]> {
  const table = parse(await Deno.readTextFile(join(dir, "epochs.csv")), {
    columns: true,
  }) as Record<string, string>[];
  return table.map((r) => COMPUTED_COLUMNS.map((c) => r[c]));
}
