/**
 * Charts for the HTML report: Vega-Lite specifications compiled and rendered
 * to SVG text headless (`vega`, no browser), and the titled figure they sit in.
 */
import * as vega from "vega";
import { compile } from "vega-lite";

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
  const compiled = compile({ width: 420, height: 260, ...spec } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
