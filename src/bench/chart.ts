/**
 * Charts for the HTML report: Vega-Lite specifications compiled and rendered
 * to SVG text headless (`vega`, no browser), and the titled figure they sit in.
 */
import { parse } from "csv-parse/sync";

/** A titled figure of the report. */
export interface Figure {
  /** The heading. */
  title: string;
  /** The SVG, inline. */
  svg: string;
  /** What it shows and where it was measured. */
  caption: string;
}

/** Renders a Vega-Lite specification to SVG text. */
export async function renderChart(
  spec: Record<string, unknown>,
): Promise<string> {
  // Loaded on first use: the renderer's modules evaluate asynchronously, and
  // a static import would reorder the suites that import this file.
  const [vega, { compile }] = await Promise.all([
    import("vega"),
    import("vega-lite"),
  ]);
  const compiled = compile({ width: 420, height: 260, ...spec } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** A CSV row as read: every value a string. */
export type CsvRow = Record<string, string>;

/** A CSV file's rows, or null when it is absent or unreadable. */
export async function readCsvRows(path: string): Promise<CsvRow[] | null> {
  try {
    return parse(await Deno.readTextFile(path), {
      columns: true,
      skip_empty_lines: true,
    }) as CsvRow[];
  } catch {
    return null;
  }
}

/** The rows with `fields` turned to numbers, for a chart's data. */
export function numericFields(
  rows: CsvRow[],
  fields: string[],
): Record<string, unknown>[] {
  return rows.map((r) => {
    const out: Record<string, unknown> = { ...r };
    for (const f of fields) out[f] = Number(r[f]);
    return out;
  });
}
