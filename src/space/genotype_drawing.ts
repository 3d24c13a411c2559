/**
 * Drawing a genotype's cells: Graphviz DOT text in the style of the reference's
 * `visualize.py` (inputs c_{k-2}, c_{k-1}; intermediate nodes 0..3; output c_{k};
 * edges labelled by operation), rendered to SVG with `@viz-js/viz` (Graphviz
 * compiled to WebAssembly, no system install).
 */
import { instance } from "@viz-js/viz";
import type { Genotype, GenotypeEdge } from "./genotype.ts";

/** DOT text of one cell. */
export function cellToDot(
  cell: GenotypeEdge[],
  concat: number[],
  title: string,
): string {
  const lines = [
    `digraph "${title}" {`,
    '  rankdir=LR; node [style="filled,rounded", shape=rect, fontname=helvetica, fontsize=20, height=0.5, width=0.5, penwidth=2];',
    "  edge [fontname=helvetica, fontsize=16];",
    '  "c_{k-2}" [fillcolor=darkseagreen2]; "c_{k-1}" [fillcolor=darkseagreen2];',
  ];
  const steps = cell.length / 2;
  for (let i = 0; i < steps; i++) lines.push(`  "${i}" [fillcolor=lightblue];`);
  cell.forEach(([op, input], index) => {
    const node = Math.floor(index / 2);
    const from = input === 0
      ? "c_{k-2}"
      : input === 1
      ? "c_{k-1}"
      : `${input - 2}`;
    lines.push(`  "${from}" -> "${node}" [label="${op}", fillcolor=gray];`);
  });
  lines.push('  "c_{k}" [fillcolor=palegoldenrod];');
  for (const state of concat) {
    lines.push(`  "${state - 2}" -> "c_{k}" [fillcolor=gray];`);
  }
  lines.push("}");
  return lines.join("\n");
}

/** SVG drawings of the normal and the reduction cell. */
export async function drawGenotype(
  genotype: Genotype,
): Promise<{ normal: string; reduce: string }> {
  const viz = await instance();
  return {
    normal: viz.renderString(
      cellToDot(genotype.normal, genotype.normal_concat, "normal"),
      { format: "svg" },
    ),
    reduce: viz.renderString(
      cellToDot(genotype.reduce, genotype.reduce_concat, "reduction"),
      { format: "svg" },
    ),
  };
}
