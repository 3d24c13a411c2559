/**
 * Genotypes: the discrete cells derived from the architecture parameters, in the
 * reference's form, and their JSON text (`{"normal": [[op, input], ...],
 * "normal_concat": [2, 3, 4, 5], "reduce": ..., "reduce_concat": ...}`).
 */
import { type PrimitiveName, PRIMITIVES } from "./primitives.ts";

/** One chosen edge: the operation and the index of the state it reads. */
export type GenotypeEdge = [PrimitiveName, number];

/** A discrete architecture: two edges per node, for both cell kinds. */
export interface Genotype {
  /** Normal cell edges, two per node, strongest first. */
  normal: GenotypeEdge[];
  /** States concatenated into the normal cell's output. */
  normal_concat: number[];
  /** Reduction cell edges. */
  reduce: GenotypeEdge[];
  /** States concatenated into the reduction cell's output. */
  reduce_concat: number[];
}

/** The softmax of one row of logits. */
export function softmax(row: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(row));
  const exps = Array.from(row, (v) => Math.exp(v - max));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / sum);
}

/**
 * Per-node softmax of the betas: node i's incoming edges (2 + i of them) are
 * normalized among themselves.
 */
export function edgeNormalizationWeights(
  betas: ArrayLike<number>,
  steps: number,
): number[] {
  const out: number[] = [];
  let start = 0;
  for (let node = 0; node < steps; node++) {
    const end = start + node + 2;
    out.push(...softmax(Array.from(betas).slice(start, end)));
    start = end;
  }
  return out;
}

const NONE = PRIMITIVES.indexOf("none");

/**
 * Derives one cell as the reference does: op weights softmax(alpha) per edge,
 * scaled by the edge weight (per-node softmax of beta, or 1 without edge
 * normalization); per node, the two edges whose strongest non-`none` op is
 * strongest (ties: lower index first), each with its strongest non-`none` op.
 */
export function deriveCell(
  alphas: ArrayLike<number>,
  betas: ArrayLike<number> | null,
  steps: number,
): GenotypeEdge[] {
  const count = PRIMITIVES.length;
  const edges = (steps * (steps + 3)) / 2;
  if (alphas.length !== edges * count) {
    throw new Error(
      `deriveCell: expected ${edges}x${count} alphas, got ${alphas.length} values`,
    );
  }
  const edgeWeights = betas ? edgeNormalizationWeights(betas, steps) : null;
  const weights: number[][] = [];
  for (let e = 0; e < edges; e++) {
    const row = softmax(Array.from(alphas).slice(e * count, (e + 1) * count));
    const scale = edgeWeights ? edgeWeights[e] : 1;
    weights.push(row.map((w) => w * scale));
  }
  const bestOp = (row: number[]) => {
    let best = -1;
    for (let k = 0; k < count; k++) {
      if (k === NONE) continue;
      if (best < 0 || row[k] > row[best]) best = k;
    }
    return best;
  };
  const gene: GenotypeEdge[] = [];
  let start = 0;
  for (let node = 0; node < steps; node++) {
    const inputs = node + 2;
    const rows = weights.slice(start, start + inputs);
    const ranked = Array.from({ length: inputs }, (_, j) => j).sort(
      (a, b) => rows[b][bestOp(rows[b])] - rows[a][bestOp(rows[a])],
    );
    for (const j of ranked.slice(0, 2)) {
      gene.push([PRIMITIVES[bestOp(rows[j])], j]);
    }
    start += inputs;
  }
  return gene;
}

/** The architecture parameters a genotype is derived from (row-major values). */
export interface ArchitectureValues {
  /** `[edges, primitives]` alphas of normal cells. */
  alphasNormal: ArrayLike<number>;
  /** `[edges, primitives]` alphas of reduction cells. */
  alphasReduce: ArrayLike<number>;
  /** `[edges]` betas of normal cells, null without edge normalization. */
  betasNormal: ArrayLike<number> | null;
  /** `[edges]` betas of reduction cells. */
  betasReduce: ArrayLike<number> | null;
}

/** Derives the genotype of both cell kinds (concat: the last `multiplier`). */
export function deriveGenotype(
  arch: ArchitectureValues,
  steps = 4,
  multiplier = 4,
): Genotype {
  const concat = Array.from(
    { length: multiplier },
    (_, i) => 2 + steps - multiplier + i,
  );
  return {
    normal: deriveCell(arch.alphasNormal, arch.betasNormal, steps),
    normal_concat: concat,
    reduce: deriveCell(arch.alphasReduce, arch.betasReduce, steps),
    reduce_concat: [...concat],
  };
}

/** JSON text in the fixtures' style (Python's `json.dumps` spacing). */
export function formatGenotype(genotype: Genotype): string {
  const edges = (list: GenotypeEdge[]) =>
    `[${list.map(([op, input]) => `["${op}", ${input}]`).join(", ")}]`;
  const ints = (list: number[]) => `[${list.join(", ")}]`;
  return `{"normal": ${edges(genotype.normal)}, "normal_concat": ${
    ints(genotype.normal_concat)
  }, "reduce": ${edges(genotype.reduce)}, "reduce_concat": ${
    ints(genotype.reduce_concat)
  }}`;
}

/**
 * Parses and validates a genotype's JSON text: known operations, two edges per
 * node, inputs from earlier states only. `source` names it in errors.
 */
export function parseGenotype(text: string, source = "genotype"): Genotype {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new Error(`${source}: not valid JSON (${(error as Error).message})`);
  }
  const g = value as Partial<Genotype>;
  for (const key of ["normal", "reduce"] as const) {
    const list = g[key];
    if (!Array.isArray(list) || list.length === 0 || list.length % 2 !== 0) {
      throw new Error(
        `${source}: "${key}" must be a list of [operation, input] pairs, two per node`,
      );
    }
    list.forEach((edge, i) => {
      const node = Math.floor(i / 2);
      if (
        !Array.isArray(edge) || edge.length !== 2 ||
        !(PRIMITIVES as readonly string[]).includes(edge[0]) ||
        !Number.isInteger(edge[1]) || edge[1] < 0 || edge[1] >= node + 2
      ) {
        throw new Error(
          `${source}: ${key}[${i}] = ${
            JSON.stringify(edge)
          } is not [operation, input] with a known operation (${
            PRIMITIVES.join(", ")
          }) and an input below ${node + 2}`,
        );
      }
    });
    const concatKey = `${key}_concat` as const;
    if (!Array.isArray(g[concatKey])) {
      g[concatKey] = Array.from({ length: list.length / 2 }, (_, i) => i + 2);
    }
  }
  return g as Genotype;
}

/** Checks a searched genotype: 2 distinct inputs per node and no `none`. */
export function validateSearchedCell(cell: GenotypeEdge[]): string[] {
  const problems: string[] = [];
  for (let i = 0; i < cell.length; i += 2) {
    const node = i / 2;
    const [a, b] = [cell[i], cell[i + 1]];
    if (a[1] === b[1]) problems.push(`node ${node} reads input ${a[1]} twice`);
    for (const [op, input] of [a, b]) {
      if (op === "none") problems.push(`node ${node} uses none`);
      if (input >= node + 2) {
        problems.push(`node ${node} reads a later state ${input}`);
      }
    }
  }
  return problems;
}

/** The reference's text form: `Genotype(normal=[('sep_conv_3x3', 1), ...], normal_concat=range(2, 6), ...)`. */
export function genotypeToReferenceText(genotype: Genotype): string {
  const edges = (list: GenotypeEdge[]) =>
    `[${list.map(([op, input]) => `('${op}', ${input})`).join(", ")}]`;
  const concat = (list: number[]) => {
    const contiguous = list.every((v, i) => i === 0 || v === list[i - 1] + 1);
    return contiguous && list.length > 0
      ? `range(${list[0]}, ${list[list.length - 1] + 1})`
      : `[${list.join(", ")}]`;
  };
  return `Genotype(normal=${edges(genotype.normal)}, normal_concat=${
    concat(genotype.normal_concat)
  }, reduce=${edges(genotype.reduce)}, reduce_concat=${
    concat(genotype.reduce_concat)
  })`;
}
