/** CSV files written atomically (csv-stringify). */
import { stringify } from "csv-stringify/sync";
import { writeFileAtomic } from "./atomic_write.ts";

/** Writes `rows` under a header of `columns`; null and undefined become empty cells. */
export async function writeCsvAtomic<Row>(
  path: string,
  columns: (keyof Row & string)[],
  rows: Row[],
): Promise<void> {
  await writeFileAtomic(
    path,
    stringify(rows.map((r) => columns.map((c) => r[c] ?? "")), {
      cast: { boolean: (value: boolean) => String(value) },
      header: true,
      columns,
    }),
  );
}
