/**
 * Built-in genotypes: the published cells as listed in the reference
 * repositories (`genotypes.py` of DARTS and PC-DARTS), and a seeded random
 * cell (the random-search baseline).
 */
import type { Genotype, GenotypeEdge } from "../space/genotype.ts";
import { PRIMITIVES } from "../space/primitives.ts";
import { Random } from "../ops/random.ts";

const CONCAT = [2, 3, 4, 5];

/** DARTS (first order), CIFAR-10. */
export const DARTS_V1: Genotype = {
  normal: [
    ["sep_conv_3x3", 1],
    ["sep_conv_3x3", 0],
    ["skip_connect", 0],
    ["sep_conv_3x3", 1],
    [
      "skip_connect",
      0,
    ],
    ["sep_conv_3x3", 1],
    ["sep_conv_3x3", 0],
    ["skip_connect", 2],
  ],
  normal_concat: CONCAT,
  reduce: [
    ["max_pool_3x3", 0],
    ["max_pool_3x3", 1],
    ["skip_connect", 2],
    ["max_pool_3x3", 0],
    [
      "max_pool_3x3",
      0,
    ],
    ["skip_connect", 2],
    ["skip_connect", 2],
    ["avg_pool_3x3", 0],
  ],
  reduce_concat: CONCAT,
};

/** DARTS (second order), CIFAR-10. */
export const DARTS_V2: Genotype = {
  normal: [
    ["sep_conv_3x3", 0],
    ["sep_conv_3x3", 1],
    ["sep_conv_3x3", 0],
    ["sep_conv_3x3", 1],
    [
      "sep_conv_3x3",
      1,
    ],
    ["skip_connect", 0],
    ["skip_connect", 0],
    ["dil_conv_3x3", 2],
  ],
  normal_concat: CONCAT,
  reduce: [
    ["max_pool_3x3", 0],
    ["max_pool_3x3", 1],
    ["skip_connect", 2],
    ["max_pool_3x3", 1],
    [
      "max_pool_3x3",
      0,
    ],
    ["skip_connect", 2],
    ["skip_connect", 2],
    ["max_pool_3x3", 1],
  ],
  reduce_concat: CONCAT,
};

/** PC-DARTS, CIFAR-10. */
export const PC_DARTS_cifar: Genotype = {
  normal: [
    ["sep_conv_3x3", 1],
    ["skip_connect", 0],
    ["sep_conv_3x3", 0],
    ["dil_conv_3x3", 1],
    [
      "sep_conv_5x5",
      0,
    ],
    ["sep_conv_3x3", 1],
    ["avg_pool_3x3", 0],
    ["dil_conv_3x3", 1],
  ],
  normal_concat: CONCAT,
  reduce: [
    ["sep_conv_5x5", 1],
    ["max_pool_3x3", 0],
    ["sep_conv_5x5", 1],
    ["sep_conv_5x5", 2],
    [
      "sep_conv_3x3",
      0,
    ],
    ["sep_conv_3x3", 3],
    ["sep_conv_3x3", 1],
    ["sep_conv_3x3", 2],
  ],
  reduce_concat: CONCAT,
};

/** PC-DARTS, searched on ImageNet (the paper's 24.2 % top-1 cell). */
export const PC_DARTS_image: Genotype = {
  normal: [
    ["skip_connect", 1],
    ["sep_conv_3x3", 0],
    ["sep_conv_3x3", 0],
    ["skip_connect", 1],
    ["sep_conv_3x3", 1],
    ["sep_conv_3x3", 3],
    ["sep_conv_3x3", 1],
    ["dil_conv_5x5", 4],
  ],
  normal_concat: CONCAT,
  reduce: [
    ["sep_conv_3x3", 0],
    ["skip_connect", 1],
    ["dil_conv_5x5", 2],
    ["max_pool_3x3", 1],
    ["sep_conv_3x3", 2],
    ["sep_conv_3x3", 1],
    ["sep_conv_5x5", 0],
    ["sep_conv_3x3", 3],
  ],
  reduce_concat: CONCAT,
};

/** The built-in genotypes by name. */
export const BUILTIN_GENOTYPES: Record<string, Genotype> = {
  PC_DARTS_cifar,
  PC_DARTS_image,
  DARTS_V1,
  DARTS_V2,
};

/** A valid random cell: per node, two distinct earlier inputs, ops other than `none`. */
export function randomCell(random: Random, steps = 4): GenotypeEdge[] {
  const ops = PRIMITIVES.filter((p) => p !== "none");
  const cell: GenotypeEdge[] = [];
  for (let node = 0; node < steps; node++) {
    const inputs = random.shuffle(Array.from({ length: node + 2 }, (_, i) => i))
      .slice(0, 2) as number[];
    for (const input of inputs) cell.push([ops[random.int(ops.length)], input]);
  }
  return cell;
}

/** A seeded random genotype (the random-search baseline). */
export function randomGenotype(seed: number): Genotype {
  const random = new Random(seed);
  return {
    normal: randomCell(random),
    normal_concat: CONCAT,
    reduce: randomCell(random),
    reduce_concat: CONCAT,
  };
}
