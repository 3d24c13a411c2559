/**
 * Search configurations: a method (what is searched and how) times a size (how
 * much compute). Flags override any field.
 *
 * Methods: each registers its reference protocol (`methods/`, asked through
 * `search_methods.ts`).
 *
 * Sizes:
 * - `paper`: C=16, 8 layers, all 50,000 training images, the method's epochs.
 * - `cpu`: C=8, 5 layers, images averaged to 16×16 pixels, batch 64 for
 *   every method, a class-balanced subset of 4,000 images, 5 epochs (warm-up
 *   scaled: 2 for pcdarts): the search half of the error grid a 2-core
 *   machine runs (docs/cpu_protocol.md).
 * - `small`: C=8, 5 layers, batch 32, a class-balanced subset of 2,000 images,
 *   10 epochs (warm-up scaled: 3 for pcdarts): a real search that a 2-core
 *   machine finishes in about an hour.
 * - `smoke`: C=4, 3 layers, batch 32, 192 images, 2 epochs (1 warm-up for
 *   pcdarts): well under a minute, for CI.
 */

import type { CellRecomputation } from "../ops/recompute.ts";
import { checkPartialChannels } from "../space/partial_channels_check.ts";
import {
  type MethodDefaults,
  SEARCH_METHODS,
  searchMethod,
} from "./search_methods.ts";

export { SEARCH_METHODS } from "./search_methods.ts";
/** A registered search method's name (see {@linkcode SEARCH_METHODS}). */
export type SearchMethodName = string;
/** The sizes. */
export const SEARCH_SIZES = ["paper", "cpu", "small", "smoke"] as const;
/** One of {@linkcode SEARCH_SIZES}. */
export type SearchSize = typeof SEARCH_SIZES[number];

/** Everything a search run needs to know; stored in `config.json`. */
export interface SearchConfig {
  /** Data set name. */
  dataset: string;
  /** The method's name. */
  method: SearchMethodName;
  /** The size's name. */
  size: SearchSize;
  /** Initial channels C. */
  channels: number;
  /** Cells. */
  layers: number;
  /** K of partial channel connections. */
  partialChannels: number;
  /** Edge normalization (betas). */
  edgeNormalization: boolean;
  /** Channel selection of partial connections. */
  channelSampling: "first" | "random";
  /** Images per batch (both the weight and the architecture batch). */
  batchSize: number;
  /** Epochs. */
  epochs: number;
  /** Epochs before architecture updates start. */
  warmupEpochs: number;
  /** Weight learning rate at epoch 0. */
  learningRate: number;
  /** Weight learning rate the cosine schedule ends at. */
  learningRateMin: number;
  /** SGD momentum. */
  momentum: number;
  /** SGD weight decay. */
  weightDecay: number;
  /** Global gradient-norm clip of the weights. */
  gradientClip: number;
  /** Architecture Adam learning rate. */
  archLearningRate: number;
  /** Architecture Adam β1. */
  archBeta1: number;
  /** Architecture Adam β2. */
  archBeta2: number;
  /** Architecture Adam weight decay. */
  archWeightDecay: number;
  /** Second-order (unrolled) architecture gradient. */
  secondOrder: boolean;
  /** Fraction of the training images used to train weights. */
  trainPortion: number;
  /** Class-balanced subset of the training images (null: all). */
  subset: number | null;
  /**
   * Side in pixels the images are averaged down to (null: the data set's own).
   * Absent in run folders written before it existed (null).
   */
  imageSide?: number | null;
  /** Seed of everything random. */
  seed: number;
  /** Evaluate on the architecture split every N epochs (0: only at the end). */
  evalEvery: number;
  /**
   * Recompute each cell's intermediates in the backward passes instead of
   * keeping them: about 45 % of the memory, about a third more time.
   * Absent in run folders written before it existed (false).
   */
  recomputeCells?: CellRecomputation;
  /**
   * The network's stem: `imagenet` (three stride-2 convolutions) for ImageNet,
   * else CIFAR's. Absent in run folders written before it existed (cifar).
   */
  stem?: "cifar" | "imagenet";
}

const COMMON: Omit<
  SearchConfig,
  keyof MethodDefaults | "method" | "size"
> = {
  dataset: "cifar10",
  channels: 16,
  layers: 8,
  channelSampling: "first",
  momentum: 0.9,
  weightDecay: 3e-4,
  gradientClip: 5,
  archBeta1: 0.5,
  archBeta2: 0.999,
  archWeightDecay: 1e-3,
  trainPortion: 0.5,
  subset: null,
  imageSide: null,
  seed: 2,
  evalEvery: 0,
  recomputeCells: false,
};

/**
 * The reference's ImageNet search (train_search_imagenet.py) at the paper
 * size: the three-convolution stem on 224x224 crops; for pcdarts also K=2,
 * batch 1024, lr 0.5 cosine to 0, architecture lr 6e-3 and 35 warm-up epochs
 * of 50. Its weight and architecture images are the per-class 10 % and 2.5 %
 * subsets (`data/imagenet/search_subsets.ts`), not `trainPortion`.
 */
export const IMAGENET_SEARCH: Partial<SearchConfig> = {
  stem: "imagenet",
  imageSide: 224,
  subset: null,
};

/** The pcdarts part of {@linkcode IMAGENET_SEARCH}. */
export const IMAGENET_PCDARTS: Partial<SearchConfig> = {
  partialChannels: 2,
  batchSize: 1024,
  learningRate: 0.5,
  learningRateMin: 0,
  archLearningRate: 6e-3,
  epochs: 50,
  warmupEpochs: 35,
};

/** ImageNet's smoke size: a few seconds on a small tree of JPEGs. */
const IMAGENET_SMOKE: Partial<SearchConfig> = {
  channels: 4,
  layers: 3,
  batchSize: 8,
  epochs: 2,
  imageSide: 32,
};

/**
 * Resolves a method and size (and, with `overrides.dataset` imagenet, the
 * ImageNet protocol), then applies `overrides`; validates the result.
 */
export function resolveSearchConfig(
  method: string,
  size: string,
  overrides: Partial<SearchConfig> = {},
): SearchConfig {
  if (!SEARCH_METHODS.includes(method)) {
    throw new Error(
      `unknown method "${method}"; choose ${SEARCH_METHODS.join(", ")}`,
    );
  }
  if (!(SEARCH_SIZES as readonly string[]).includes(size)) {
    throw new Error(
      `unknown size "${size}"; choose ${SEARCH_SIZES.join(", ")}`,
    );
  }
  const imagenet = overrides.dataset === "imagenet";
  if (imagenet && size !== "paper" && size !== "smoke") {
    throw new Error(
      `the imagenet search has the paper and smoke sizes, not ${size}`,
    );
  }
  const m = {
    ...searchMethod(method).defaults,
    ...(imagenet && method === "pcdarts" ? IMAGENET_PCDARTS : {}),
  };
  const sized: Partial<SearchConfig> = size === "paper"
    ? {}
    : size === "cpu"
    ? {
      channels: 8,
      layers: 5,
      imageSide: 16,
      // One batch for every method: at pcdarts' 256, 2,000 images would
      // give it 8 steps an epoch.
      batchSize: 64,
      subset: 4000,
      epochs: 5,
      warmupEpochs: Math.round((m.warmupEpochs * 5) / m.epochs),
    }
    : size === "small"
    ? {
      channels: 8,
      layers: 5,
      batchSize: 32,
      subset: 2000,
      epochs: 10,
      warmupEpochs: Math.round((m.warmupEpochs * 10) / m.epochs),
    }
    : {
      channels: 4,
      layers: 3,
      batchSize: 32,
      subset: 192,
      epochs: 2,
      warmupEpochs: m.warmupEpochs > 0 ? 1 : 0,
    };
  const config = {
    ...COMMON,
    ...m,
    ...sized,
    ...(imagenet ? IMAGENET_SEARCH : {}),
    ...(imagenet && size === "smoke"
      ? { ...IMAGENET_SMOKE, warmupEpochs: m.warmupEpochs > 0 ? 1 : 0 }
      : {}),
    method: method as SearchMethodName,
    size: size as SearchSize,
    ...Object.fromEntries(
      Object.entries(overrides).filter(([, v]) => v !== undefined),
    ),
  } as SearchConfig;
  validateSearchConfig(config);
  return config;
}

/** Throws a clear error for values that cannot work. */
export function validateSearchConfig(c: SearchConfig): void {
  const positiveInts: (keyof SearchConfig)[] = [
    "channels",
    "layers",
    "partialChannels",
    "batchSize",
    "epochs",
  ];
  for (const key of positiveInts) {
    const v = c[key] as number;
    if (!Number.isInteger(v) || v < 1) {
      throw new Error(`${key} must be a positive integer, got ${v}`);
    }
  }
  if (!Number.isInteger(c.warmupEpochs) || c.warmupEpochs < 0) {
    throw new Error(
      `warmupEpochs must be a non-negative integer, got ${c.warmupEpochs}`,
    );
  }
  if (
    c.imageSide !== null && c.imageSide !== undefined &&
    !(Number.isInteger(c.imageSide) && c.imageSide >= 4)
  ) {
    throw new Error(
      `--image-side must be an integer of at least 4 pixels, got ${c.imageSide}`,
    );
  }
  if (c.subset !== null && (!Number.isInteger(c.subset) || c.subset < 20)) {
    throw new Error(
      `subset must be an integer of at least 20 images, got ${c.subset}`,
    );
  }
  if (!(c.learningRate > 0) || !(c.archLearningRate > 0)) {
    throw new Error("learning rates must be positive");
  }
  if (!["first", "random"].includes(c.channelSampling)) {
    throw new Error(
      `channel sampling must be "first" or "random", got "${c.channelSampling}"`,
    );
  }
  checkPartialChannels(c);
}
