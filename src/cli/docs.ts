/**
 * `deno task docs`: writes the generated reference pages, docs/cli.md (every
 * command's flags) and docs/csv_schemas.md (every CSV's columns), from the
 * declarations in code, and the results tables of README.md (the budget
 * sweep) and docs/cpu_protocol.md (the first cpu grid) from the committed
 * grids' error_summary.csv.
 */
import { schemasMarkdown } from "../bench/csv_schema.ts";
import "../suites/all.ts";
import { sizesMarkdown } from "./size_table.ts";
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
import { soakTableMarkdown } from "../search/soak_table.ts";

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

/** A table of a results file, in markdown. */
type TableOf = (text: string) => string;

const errorTable: TableOf = errorTableMarkdown;

/** The paper-size search's soak table: 98 weight steps an epoch. */
const soakTable: TableOf = (text) =>
  soakTableMarkdown(text, Math.ceil(25000 / 256));

/** The generated results tables: the page that shows each, and its source. */
const RESULT_TABLES: { page: string; source: string; table: TableOf }[] = [
  // The budget sweep (10 training epochs).
  {
    page: "README.md",
    source: "results/error/budget/error_summary.csv",
    table: errorTable,
  },
  // The first cpu grid (5-epoch searches and trainings).
  {
    page: "docs/cpu_protocol.md",
    source: "results/error/error_summary.csv",
    table: errorTable,
  },
  // The paper-size search, epoch by epoch.
  {
    page: "docs/paper_search.md",
    source: "results/paper/search-s2/epochs.csv",
    table: soakTable,
  },
];

/** The generated pages: path (from the repository root) and text. */
export function generatedDocs(): { path: string; text: string }[] {
  return [
    { path: "docs/cli.md", text: commandsMarkdown(COMMANDS) },
    { path: "docs/csv_schemas.md", text: schemasMarkdown() },
    { path: "docs/sizes.md", text: sizesMarkdown() },
    ...RESULT_TABLES.map(({ page, source, table }) => ({
      path: page,
      text: withErrorTable(
        Deno.readTextFileSync(`${root}${page}`),
        table(Deno.readTextFileSync(`${root}${source}`)),
        source,
        page,
      ),
    })),
  ];
}

if (import.meta.main) {
  for (const { path, text } of generatedDocs()) {
    await writeFileAtomic(`${root}${path}`, text);
    console.log(`wrote ${path}`);
  }
}
