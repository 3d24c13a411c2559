/**
 * The HTML report: charts of the benchmark CSVs as SVG (Vega-Lite compiled
 * headless with `vega`), and the found cells drawn, gathered in one static
 * `index.html` that opens in a browser without a server.
 */
import { isSearchMethod } from "../search/search_methods.ts";
import { type Figure, readCsvRows, renderChart } from "./chart.ts";
import { errorFigure } from "./error_figure.ts";
import { registeredSuites } from "./suite_registry.ts";
import { isSweep, sweepFigures } from "./sweep_figures.ts";
import { drawGenotype } from "../space/genotype_drawing.ts";
import { parseGenotype } from "../space/genotype.ts";
import { searchRunFigures } from "./search_run_figures.ts";

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(
    />/g,
    "&gt;",
  );
}

/**
 * The GPU comparison (`gpu/summary.csv`): step time of ours and of the
 * reference PyTorch code per method and submission mode.
 */
async function gpuFigure(dir: string): Promise<Figure | null> {
  const summary = await readCsvRows(`${dir}/summary.csv`);
  if (!summary) return null;
  const steps = summary.filter((r) => r.measure === "step" && !r.error);
  if (steps.length === 0) return null;
  const values = steps.flatMap((r) => {
    const label = `${r.method}, K=${r.k}, batch ${r.batch_size}`;
    return [
      {
        config: label,
        code: `ours: ${r.submission}`,
        median_ms: Number(r.ours),
      },
      { config: label, code: "PyTorch reference", median_ms: Number(r.torch) },
    ];
  });
  const unique = [...new Map(values.map((v) => [`${v.config}|${v.code}`, v]))
    .values()];
  let device = "";
  try {
    device = (await Deno.readTextFile(`${dir}/ours_device.txt`)).split("\n")[0]
      .split("\t").at(-1) ?? "";
  } catch {
    // no device file: the caption goes without it
  }
  return {
    title: "GPU: search step time, ours vs the PyTorch reference",
    caption: `median ms per step${device ? ` on ${device}` : ""}`,
    svg: await renderChart({
      data: { values: unique },
      mark: { type: "bar" },
      encoding: {
        x: {
          field: "config",
          type: "nominal",
          title: null,
          axis: { labelAngle: 0, labelLimit: 0 },
        },
        xOffset: { field: "code", type: "nominal" },
        y: { field: "median_ms", type: "quantitative", title: "ms per step" },
        color: {
          field: "code",
          type: "nominal",
          title: "code",
          legend: { labelLimit: 0 },
        },
      },
    }),
  };
}

/**
 * The step rows (`step/*.csv`) against the reference PyTorch code on the same
 * CPU (`step/torch-cpu-steps.csv`), per step shape and backend.
 */
async function stepFigure(dir: string): Promise<Figure | null> {
  let names: string[];
  try {
    names = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
      n.endsWith(".csv")
    ).sort();
  } catch {
    return null;
  }
  const values: Record<string, unknown>[] = [];
  let device = "";
  for (const name of names) {
    for (const r of (await readCsvRows(`${dir}/${name}`)) ?? []) {
      if (!r.config || !r.median_ms) continue;
      const torch = r.threads !== undefined;
      if (!torch && !device) device = r.cpu ? `${r.cpu}, ${r.cores} cores` : "";
      values.push({
        config: r.config,
        code: torch ? `PyTorch reference (${r.threads} threads)` : r.backend,
        median_ms: Number(r.median_ms),
      });
    }
  }
  if (values.length === 0) return null;
  return {
    title: "CPU: search step time per backend vs the PyTorch reference",
    caption: `each measured run a point, the bar their mean (ms per step)${
      device ? `; ${device}` : ""
    }`,
    svg: await renderChart({
      data: { values },
      layer: [
        {
          mark: { type: "bar", opacity: 0.7 },
          encoding: {
            x: { field: "config", type: "nominal", title: "step shape" },
            xOffset: { field: "code", type: "nominal" },
            y: {
              aggregate: "mean",
              field: "median_ms",
              type: "quantitative",
              title: "ms per step",
            },
            color: {
              field: "code",
              type: "nominal",
              title: "code",
              legend: { labelLimit: 0 },
            },
          },
        },
        {
          mark: { type: "point", filled: true, color: "black", size: 20 },
          encoding: {
            x: { field: "config", type: "nominal" },
            xOffset: { field: "code", type: "nominal" },
            y: { field: "median_ms", type: "quantitative" },
          },
        },
      ],
    }),
  };
}

/** The paper-size searches' run folders under `dir` (`search-s2`, ...). */
function paperSearches(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((e) =>
      e.isDirectory && e.name.startsWith("search-")
    ).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** The figures of a report and the folders and files they were drawn from. */
export interface Report {
  /** In page order. */
  figures: Figure[];
  /** Each results folder that gave a figure, once, in page order. */
  sources: string[];
}

/**
 * Builds the figures from a benchmark folder (memory, batch, error CSVs) and,
 * when given, the committed results folder (`error/`, `gpu/`, `step/`).
 */
export async function buildFigures(
  benchDir: string,
  genotypeFiles: string[] = [],
  resultsDir?: string,
): Promise<Report> {
  const figures: Figure[] = [];
  const sources: string[] = [];
  for (const suite of registeredSuites()) {
    if (!suite.figures) continue;
    figures.push(
      ...await suite.figures((name) => readCsvRows(`${benchDir}/${name}.csv`)),
    );
  }
  const errorRows = await readCsvRows(`${benchDir}/error.csv`);
  if (figures.length > 0) sources.push(benchDir);
  const genotypeRows = [...(errorRows ?? [])];
  if (resultsDir !== undefined) {
    const grid = await readCsvRows(`${resultsDir}/error/error.csv`);
    if (grid && grid.length > 0) {
      figures.push(await errorFigure(grid));
      sources.push(`${resultsDir}/error`);
      genotypeRows.push(...grid);
    }
    const sweep = await readCsvRows(`${resultsDir}/error/budget/error.csv`);
    if (sweep && isSweep(sweep)) {
      figures.push(...await sweepFigures(sweep));
      sources.push(`${resultsDir}/error/budget`);
    }
    for (const search of paperSearches(`${resultsDir}/paper`)) {
      const found = await searchRunFigures(
        `${resultsDir}/paper/${search}`,
        `paper-size search ${search}`,
      );
      if (found) {
        figures.push(...found);
        sources.push(`${resultsDir}/paper/${search}`);
      }
    }
    const paperGrid = await readCsvRows(`${resultsDir}/paper/error.csv`);
    if (paperGrid && paperGrid.length > 0) {
      figures.push(await errorFigure(paperGrid));
      sources.push(`${resultsDir}/paper`);
    }
    for (
      const [dir, figure] of [
        ["gpu", await gpuFigure(`${resultsDir}/gpu`)],
        ["step", await stepFigure(`${resultsDir}/step`)],
      ] as const
    ) {
      if (figure) {
        figures.push(figure);
        sources.push(`${resultsDir}/${dir}`);
      }
    }
  }
  const genotypes = new Map<string, string>();
  for (const row of genotypeRows) {
    if (
      !row.genotype || !isSearchMethod(row.method)
    ) {
      continue;
    }
    // One cell per searched method: its first seed.
    if ([...genotypes.keys()].some((k) => k.startsWith(`${row.method} `))) {
      continue;
    }
    genotypes.set(`${row.method} (seed ${row.seed})`, row.genotype);
  }
  for (const file of genotypeFiles) {
    genotypes.set(file, await Deno.readTextFile(file));
  }
  for (const [name, text] of genotypes) {
    const drawn = await drawGenotype(parseGenotype(text, name));
    figures.push({
      title: `${name}: normal cell`,
      caption: "",
      svg: drawn.normal,
    });
    figures.push({
      title: `${name}: reduction cell`,
      caption: "",
      svg: drawn.reduce,
    });
  }
  return { figures, sources };
}

/** One static HTML page holding every figure inline. */
export function reportHtml(figures: Figure[], source: string): string {
  const body = figures.map((f) =>
    `<figure><figcaption><h2>${escapeHtml(f.title)}</h2><p>${
      escapeHtml(f.caption)
    }</p></figcaption>\n${
      f.svg.replace(/^<\?xml[^>]*>\s*/, "").replace(/<!DOCTYPE[^>]*>\s*/, "")
    }</figure>`
  ).join("\n");
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>pcdarts report</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}figure{margin:2em 0}figure svg{max-width:100%;height:auto}h2{font-size:1.1em}</style>
</head><body><h1>pcdarts benchmark report</h1><p>Sources: ${
    escapeHtml(source)
  }</p>
${body}
</body></html>
`;
}
