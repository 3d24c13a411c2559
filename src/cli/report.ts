/**
 * `deno task report [--bench DIR] [--results DIR] [--genotype FILE...] [--out DIR]`:
 * charts of a benchmark run (default: the newest folder under results/bench,
 * else results/baseline), of the committed error grid, budget sweep, GPU comparison and step
 * rows, and the found cells, in one static `index.html`.
 */
import { buildFigures, reportHtml } from "../bench/report.ts";
import "../suites/all.ts";
import { ablationGridFigures } from "../grid/ablation_figures.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { type CommandSpec, parseCommand } from "./command_spec.ts";

/** The report command's flags. */
export const REPORT_COMMAND = {
  name: "report",
  synopsis: ["[--bench DIR] [--results DIR] [--genotype FILE...] [--out DIR]"],
  flags: {
    bench: {
      type: "string",
      value: "DIR",
      help:
        "a benchmark run's folder (default: the newest under\nresults/bench, else results/baseline)",
    },
    results: {
      type: "string",
      value: "DIR",
      default: "results",
      help:
        'the committed results: error/ (the error grid),\nerror/budget/ (the budget sweep), gpu/ (the GPU comparison),\nstep/ (step rows vs the reference); "none" leaves them out',
    },
    genotype: {
      type: "string",
      value: "FILE",
      multiple: true,
      help: "a genotype.json to draw; repeat for more",
    },
    out: {
      type: "string",
      value: "DIR",
      default: "results/report",
      help: "where index.html goes",
    },
  },
} as const satisfies CommandSpec;

function newestBenchDir(): string {
  try {
    const dirs = [...Deno.readDirSync("results/bench")].filter((e) =>
      e.isDirectory
    ).map((e) => e.name).sort();
    if (dirs.length > 0) return `results/bench/${dirs.at(-1)}`;
  } catch {
    // none yet
  }
  return "results/baseline";
}

/** Runs the report command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(REPORT_COMMAND, args);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const benchDir = values.bench ?? newestBenchDir();
  const results = values.results === "none" ? undefined : values.results;
  const { figures, sources } = await buildFigures(
    benchDir,
    values.genotype ?? [],
    results,
  );
  if (results !== undefined) {
    // The ablation grid shares its pcdarts and darts1 rows' searches with
    // the budget sweep, whose folder keeps their traces.
    const ablation = await ablationGridFigures(`${results}/error/ablation`, [
      `${results}/error/budget`,
    ]);
    if (ablation.length > 0) {
      figures.push(...ablation);
      sources.push(`${results}/error/ablation`);
    }
  }
  if (figures.length === 0) {
    console.error(
      `report: no memory.csv, batch.csv or error.csv in ${benchDir}; run deno task bench first`,
    );
    return 1;
  }
  await Deno.mkdir(values.out!, { recursive: true });
  await writeFileAtomic(
    `${values.out}/index.html`,
    reportHtml(figures, sources.join(", ")),
  );
  console.log(
    `wrote ${values.out}/index.html (${figures.length} figures from ${
      sources.join(", ")
    })`,
  );
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`report: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
