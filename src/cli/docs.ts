/**
 * `deno task docs`: writes the generated reference pages, docs/cli.md (every
 * command's flags) and docs/csv_schemas.md (every CSV's columns), from the
 * declarations in code, and the README's results table from the committed
 * results/error/error_summary.csv.
 */
import { schemasMarkdown } from "../bench/csv_schema.ts";
import { commandsMarkdown } from "./command_spec.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { SEARCH_COMMAND } from "./search.ts";
import { TRAIN_COMMAND } from "./train.ts";
import { BENCH_COMMAND } from "./bench.ts";
import { GRID_COMMAND } from "./grid.ts";
import { REPORT_COMMAND } from "./report.ts";
import { DATA_COMMAND } from "./data.ts";
import { SETUP_COMMAND } from "./setup.ts";
import { PARITY_COMMAND } from "./parity.ts";
import { PARITY_NET_COMMAND } from "./parity_net.ts";
import { GENOTYPE_COMMAND } from "./genotype.ts";
import { errorTableMarkdown, withErrorTable } from "../grid/error_table.ts";

/** Every command, in the order docs/cli.md lists them. */
export const COMMANDS = [
  SEARCH_COMMAND,
  TRAIN_COMMAND,
  BENCH_COMMAND,
  GRID_COMMAND,
  REPORT_COMMAND,
  DATA_COMMAND,
  SETUP_COMMAND,
  PARITY_COMMAND,
  PARITY_NET_COMMAND,
  GENOTYPE_COMMAND,
];

const root = new URL("../..", import.meta.url).pathname;

/** The generated pages: path (from the repository root) and text. */
export function generatedDocs(): { path: string; text: string }[] {
  const readme = Deno.readTextFileSync(`${root}README.md`);
  const summary = Deno.readTextFileSync(
    `${root}results/error/error_summary.csv`,
  );
  return [
    { path: "docs/cli.md", text: commandsMarkdown(COMMANDS) },
    { path: "docs/csv_schemas.md", text: schemasMarkdown() },
    {
      path: "README.md",
      text: withErrorTable(readme, errorTableMarkdown(summary)),
    },
  ];
}

if (import.meta.main) {
  for (const { path, text } of generatedDocs()) {
    await writeFileAtomic(`${root}${path}`, text);
    console.log(`wrote ${path}`);
  }
}
