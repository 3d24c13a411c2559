/**
 * The HTML report: charts of the benchmark CSVs as SVG (Vega-Lite compiled
 * headless with `vega`), and the found cells drawn, gathered in one static
 * `index.html` that opens in a browser without a server.
 */
import * as vega from "vega";
import { compile } from "vega-lite";
import { parse } from "csv-parse/sync";
import { drawGenotype } from "../genotype_drawing.ts";
import { parseGenotype } from "../genotype.ts";

type Row = Record<string, string>;

async function readCsv(path: string): Promise<Row[] | null> {
  try {
    return parse(await Deno.readTextFile(path), {
      columns: true,
      skip_empty_lines: true,
    }) as Row[];
  } catch {
    return null;
  }
}

/** Renders a Vega-Lite specification to SVG text. */
export async function renderChart(
  spec: Record<string, unknown>,
): Promise<string> {
  const compiled = compile({ width: 420, height: 260, ...spec } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

function numeric(rows: Row[], fields: string[]) {
  return rows.map((r) => {
    const out: Record<string, unknown> = { ...r };
    for (const f of fields) out[f] = Number(r[f]);
    return out;
  });
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(
    />/g,
    "&gt;",
  );
}

/** A titled figure. */
interface Figure {
  title: string;
  svg: string;
  caption: string;
}

/** Builds the figures from a benchmark folder (memory, batch, error CSVs). */
export async function buildFigures(
  benchDir: string,
  genotypeFiles: string[] = [],
): Promise<Figure[]> {
  const figures: Figure[] = [];
  const memory = await readCsv(`${benchDir}/memory.csv`);
  if (memory) {
    const values = numeric(memory, [
      "k",
      "peak_bytes",
      "max_batch_under_budget",
    ]).map((r) => ({
      ...r,
      peak_mib: (r.peak_bytes as number) / 2 ** 20,
    }));
    const color = {
      field: "edge_normalization",
      type: "nominal",
      title: "edge normalization",
    };
    figures.push({
      title: "Peak tensor memory of one search step vs K",
      caption: `batch ${memory[0].batch_size}, C=${memory[0].channels}, ${
        memory[0].layers
      } layers, ${memory[0].backend} on ${memory[0].device}`,
      svg: await renderChart({
        data: { values },
        mark: { type: "line", point: true },
        encoding: {
          x: {
            field: "k",
            type: "ordinal",
            title: "K (1/K of channels processed)",
          },
          y: { field: "peak_mib", type: "quantitative", title: "peak MiB" },
          color,
        },
      }),
    });
    figures.push({
      title: "Largest batch under the memory budget vs K",
      caption: `budget ${
        (Number(memory[0].memory_budget_bytes) / 2 ** 30).toFixed(0)
      } GiB, from peak bytes at two batch sizes`,
      svg: await renderChart({
        data: { values },
        mark: { type: "bar" },
        encoding: {
          x: { field: "k", type: "ordinal", title: "K" },
          xOffset: color,
          y: {
            field: "max_batch_under_budget",
            type: "quantitative",
            title: "max batch",
          },
          color,
        },
      }),
    });
  }
  const batch = await readCsv(`${benchDir}/batch.csv`);
  if (batch) {
    const values = numeric(batch, [
      "k",
      "batch_size",
      "median_ms",
      "images_per_s",
    ]);
    for (
      const [field, title] of [["median_ms", "step time (ms)"], [
        "images_per_s",
        "images per second",
      ]]
    ) {
      figures.push({
        title: `${title} vs batch size`,
        caption: `${batch[0].backend} on ${batch[0].device}`,
        svg: await renderChart({
          data: { values },
          mark: { type: "line", point: true },
          encoding: {
            x: {
              field: "batch_size",
              type: "quantitative",
              title: "batch size",
            },
            y: { field, type: "quantitative", title },
            color: { field: "k", type: "nominal", title: "K" },
          },
        }),
      });
    }
  }
  const summary = await readCsv(`${benchDir}/error_summary.csv`);
  if (summary) {
    figures.push({
      title: "Test error vs search cost per method",
      caption:
        "mean over seeds; references (published cells, random) have no search cost",
      svg: await renderChart({
        data: {
          values: numeric(summary, ["test_error_mean", "search_seconds_mean"]),
        },
        mark: { type: "point", filled: true, size: 80 },
        encoding: {
          x: {
            field: "search_seconds_mean",
            type: "quantitative",
            title: "search seconds",
          },
          y: {
            field: "test_error_mean",
            type: "quantitative",
            title: "test error",
          },
          color: { field: "method", type: "nominal" },
        },
      }),
    });
  }
  const genotypes = new Map<string, string>();
  for (const row of (await readCsv(`${benchDir}/error.csv`)) ?? []) {
    if (!genotypes.has(row.method)) {
      genotypes.set(`${row.method} (seed ${row.seed})`, row.genotype);
    }
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
  return figures;
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
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}figure{margin:2em 0}h2{font-size:1.1em}</style>
</head><body><h1>pcdarts benchmark report</h1><p>Source: ${
    escapeHtml(source)
  }</p>
${body}
</body></html>
`;
}
