/**
 * `deno task schemas`: writes docs/csv_schemas.md from the declared CSV
 * schemas (src/bench/csv_schema.ts).
 */
import { schemasMarkdown } from "../bench/csv_schema.ts";
import { writeFileAtomic } from "../atomic_write.ts";

if (import.meta.main) {
  const path = new URL("../../docs/csv_schemas.md", import.meta.url).pathname;
  await writeFileAtomic(path, schemasMarkdown());
  console.log(`wrote ${path}`);
}
