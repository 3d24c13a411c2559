/**
 * What a search's architecture looks like after an epoch: every edge's
 * operation weights (softmax of its alphas) and edge weight (its node's
 * softmax of betas), their mean entropies, and how many of the cell's picks
 * changed since the previous epoch. These show how the cell settles.
 */
import {
  type ArchitectureValues,
  edgeNormalizationWeights,
  type Genotype,
  softmax,
} from "../space/genotype.ts";
import { PRIMITIVES } from "../space/primitives.ts";
import { parseGenotype } from "../space/genotype.ts";
import type { EpochRow } from "./epoch_row.ts";

/** One line of `architecture_weights.csv`: one operation on one edge after one epoch. */
export interface ArchitectureWeightRow {
  /** Epoch, 0-based. */
  epoch: number;
  /** `normal` or `reduce`. */
  cell: "normal" | "reduce";
  /** Edge index (0-13 for four nodes). */
  edge: number;
  /** The intermediate node the edge enters (0-based). */
  node: number;
  /** The state the edge leaves (0, 1: the cell's inputs; 2+: nodes). */
  input: number;
  /** The operation. */
  op: string;
  /** softmax(alphas) of the edge, this operation's share. */
  weight: number;
  /** The edge's weight among its node's incoming edges (null without edge normalization). */
  edge_weight: number | null;
}

/** Column order of `architecture_weights.csv`. */
export const ARCHITECTURE_WEIGHT_COLUMNS: (keyof ArchitectureWeightRow)[] = [
  "epoch",
  "cell",
  "edge",
  "node",
  "input",
  "op",
  "weight",
  "edge_weight",
];

/** The (node, input) of every edge of a cell with `steps` nodes. */
function edgeEnds(steps: number): { node: number; input: number }[] {
  const out: { node: number; input: number }[] = [];
  for (let node = 0; node < steps; node++) {
    for (let input = 0; input < node + 2; input++) out.push({ node, input });
  }
  return out;
}

/** Every edge's operation and edge weights after `epoch`. */
export function architectureWeightRows(
  epoch: number,
  arch: ArchitectureValues,
  steps = 4,
): ArchitectureWeightRow[] {
  const rows: ArchitectureWeightRow[] = [];
  const count = PRIMITIVES.length;
  const cells = [
    ["normal", arch.alphasNormal, arch.betasNormal],
    ["reduce", arch.alphasReduce, arch.betasReduce],
  ] as const;
  for (const [cell, alphas, betas] of cells) {
    const edgeWeights = betas ? edgeNormalizationWeights(betas, steps) : null;
    edgeEnds(steps).forEach(({ node, input }, edge) => {
      const ops = softmax(
        Array.from(alphas).slice(edge * count, (edge + 1) * count),
      );
      ops.forEach((weight, k) =>
        rows.push({
          epoch,
          cell,
          edge,
          node,
          input,
          op: PRIMITIVES[k],
          weight,
          edge_weight: edgeWeights ? edgeWeights[edge] : null,
        })
      );
    });
  }
  return rows;
}

/** Shannon entropy (nats) of a distribution. */
function entropy(p: number[]): number {
  return -p.reduce((s, x) => (x > 0 ? s + x * Math.log(x) : s), 0);
}

/**
 * Mean entropy (nats) of the edges' operation weights, and of the nodes'
 * edge weights (null without edge normalization), over both cells.
 */
export function architectureEntropies(
  arch: ArchitectureValues,
  steps = 4,
): { op_entropy: number; edge_entropy: number | null } {
  const count = PRIMITIVES.length;
  const edges = (steps * (steps + 3)) / 2;
  let opSum = 0;
  for (const alphas of [arch.alphasNormal, arch.alphasReduce]) {
    for (let e = 0; e < edges; e++) {
      opSum += entropy(
        softmax(Array.from(alphas).slice(e * count, (e + 1) * count)),
      );
    }
  }
  const betas = [arch.betasNormal, arch.betasReduce];
  if (betas.some((b) => b === null)) {
    return { op_entropy: opSum / (2 * edges), edge_entropy: null };
  }
  let edgeSum = 0;
  for (const b of betas) {
    const weights = edgeNormalizationWeights(b!, steps);
    let start = 0;
    for (let node = 0; node < steps; node++) {
      edgeSum += entropy(weights.slice(start, start + node + 2));
      start += node + 2;
    }
  }
  return {
    op_entropy: opSum / (2 * edges),
    edge_entropy: edgeSum / (2 * steps),
  };
}

/** A cell's picks as `node/input/op` keys. */
function picks(edges: Genotype["normal"], prefix: string): string[] {
  return edges.map(([op, input], i) =>
    `${prefix}/${Math.floor(i / 2)}/${input}/${op}`
  );
}

/**
 * How many of the two cells' (node, input, operation) picks the genotypes
 * share (of 16 for four-node cells).
 */
export function sharedPicks(a: Genotype, b: Genotype): number {
  const left = new Set([...picks(a.normal, "n"), ...picks(a.reduce, "r")]);
  return [...picks(b.normal, "n"), ...picks(b.reduce, "r")].filter((k) =>
    left.has(k)
  ).length;
}

/** Picks of `after` that `before` lacks: the edges an epoch changed. */
export function changedPicks(before: Genotype, after: Genotype): number {
  return after.normal.length + after.reduce.length -
    sharedPicks(before, after);
}

/** Operations without parameters: poolings and the identity. */
const PARAMETER_FREE = new Set([
  "max_pool_3x3",
  "avg_pool_3x3",
  "skip_connect",
]);

/** Normal-cell edges (of 8) that are poolings or skip connections. */
export function parameterFreeNormalEdges(genotype: Genotype): number {
  return genotype.normal.filter(([op]) => PARAMETER_FREE.has(op)).length;
}

/**
 * How a search settled: the edges its last epoch changed, and its final
 * validation accuracy (empty where not measured).
 */
export function searchSettling(
  history: EpochRow[],
): Record<string, number | string> {
  const last = history.at(-1);
  const before = history.at(-2);
  return {
    edges_changed_last_epoch: last && before
      ? changedPicks(
        parseGenotype(before.genotype, "epoch row"),
        parseGenotype(last.genotype, "epoch row"),
      )
      : "",
    search_valid_acc: last?.valid_acc ?? "",
  };
}
