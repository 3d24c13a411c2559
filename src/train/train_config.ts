/**
 * Training-from-scratch configurations. `paper` is the reference protocol:
 * C=36, 20 layers, 600 epochs, batch 96, SGD lr 0.025 cosine to 0, momentum 0.9,
 * weight decay 3e-4, auxiliary head weight 0.4, drop-path 0.3 (ramped linearly
 * with the epoch), cutout 16, gradient norm clipped at 5. Reduced sizes for
 * machines without a GPU shrink the compute:
 * - `cpu`: C=16, 5 layers, 16-pixel images, batch 64, 15,000 training images,
 *   5 epochs at lr 0.1, no auxiliary head, drop-path or cutout, the full test
 *   set: the training half of the error grid a 2-core machine runs
 *   (docs/cpu_protocol.md);
 * - `small`: C=16, 8 layers, batch 64, 1,000 training images, 5 epochs, the
 *   full test set;
 * - `smoke`: C=8, 5 layers, batch 32, 128 training images, 1 epoch, 256 test
 *   images.
 */

/** The sizes. */
export const TRAIN_SIZES = ["paper", "cpu", "small", "smoke"] as const;

/** Everything a training run needs; stored in `config.json`. */
export interface TrainConfig {
  /** Data set name. */
  dataset: string;
  /** Size name. */
  size: string;
  /** Genotype name (built-in) or file path. */
  genotypeSource: string;
  /** Initial channels. */
  channels: number;
  /** Cells. */
  layers: number;
  /** Epochs. */
  epochs: number;
  /** Batch size. */
  batchSize: number;
  /** Learning rate at epoch 0. */
  learningRate: number;
  /** Learning rate the cosine schedule ends at. */
  learningRateMin: number;
  /** SGD momentum. */
  momentum: number;
  /** SGD weight decay. */
  weightDecay: number;
  /** Gradient norm clip. */
  gradientClip: number;
  /** Train an auxiliary head. */
  auxiliary: boolean;
  /** Weight of the auxiliary loss. */
  auxiliaryWeight: number;
  /** Final drop-path probability (ramped linearly from 0). */
  dropPath: number;
  /** Cutout square side (0 = off). */
  cutout: number;
  /** Class-balanced subset of the training images (null: all). */
  subset: number | null;
  /**
   * Side in pixels the images are averaged down to (null: the data set's own).
   * Absent in run folders written before it existed (null).
   */
  imageSide?: number | null;
  /** First N test images (null: the full test set). */
  testSubset: number | null;
  /** Evaluate on the test set every N epochs (0: only after the last). */
  evalEvery: number;
  /** Seed. */
  seed: number;
  /**
   * The network's stem: `imagenet` (NetworkImageNet) or CIFAR's. Absent in
   * run folders written before it existed (cifar).
   */
  stem?: "cifar" | "imagenet";
  /** Label smoothing ε of the loss (absent: 0). */
  labelSmoothing?: number;
  /**
   * `imagenet-linear`: the reference's ImageNet schedule (linear decay, a
   * 5-epoch warm-up above batch 256); absent: cosine.
   */
  schedule?: "imagenet-linear";
  /**
   * Recompute each cell's intermediates in the backward pass (absent: false):
   * the paper size's step in about 1.4 GiB of tensors instead of 10.
   */
  recomputeCells?: boolean;
}

/**
 * The reference's ImageNet training (train_imagenet.py) at the paper size:
 * NetworkImageNet C=48, 14 layers, batch 1024, SGD lr 0.5 with its linear
 * schedule, weight decay 3e-5, auxiliary weight 0.4, label smoothing 0.1,
 * drop-path 0, 250 epochs, 224x224 crops; top-1 and top-5 error on the
 * validation set.
 */
export const IMAGENET_TRAIN: Partial<TrainConfig> = {
  dataset: "imagenet",
  stem: "imagenet",
  channels: 48,
  layers: 14,
  epochs: 250,
  batchSize: 1024,
  learningRate: 0.5,
  learningRateMin: 0,
  weightDecay: 3e-5,
  auxiliary: true,
  auxiliaryWeight: 0.4,
  dropPath: 0,
  cutout: 0,
  labelSmoothing: 0.1,
  schedule: "imagenet-linear",
  imageSide: 224,
  subset: null,
  testSubset: null,
};

/**
 * ImageNet's smoke size: seconds on a small tree. The auxiliary head, which
 * needs the 7x7 maps of 224-pixel images, is left out.
 */
const IMAGENET_SMOKE: Partial<TrainConfig> = {
  channels: 4,
  layers: 3,
  batchSize: 8,
  epochs: 2,
  imageSide: 32,
  auxiliary: false,
};

const PAPER: Omit<TrainConfig, "genotypeSource"> = {
  dataset: "cifar10",
  size: "paper",
  channels: 36,
  layers: 20,
  epochs: 600,
  batchSize: 96,
  learningRate: 0.025,
  learningRateMin: 0,
  momentum: 0.9,
  weightDecay: 3e-4,
  gradientClip: 5,
  auxiliary: true,
  auxiliaryWeight: 0.4,
  dropPath: 0.3,
  cutout: 16,
  subset: null,
  imageSide: null,
  testSubset: null,
  evalEvery: 0,
  seed: 0,
};

/**
 * The protocol a 2-core machine runs a whole error grid in (see
 * docs/cpu_protocol.md for the measurements that chose it).
 */
const CPU: Partial<TrainConfig> = {
  channels: 16,
  layers: 5,
  imageSide: 16,
  batchSize: 64,
  learningRate: 0.1,
  subset: 15000,
  epochs: 5,
  auxiliary: false,
  dropPath: 0,
  cutout: 0,
};

/** Resolves a size and applies overrides; validates the result. */
export function resolveTrainConfig(
  size: string,
  genotypeSource: string,
  overrides: Partial<TrainConfig> = {},
): TrainConfig {
  if (!(TRAIN_SIZES as readonly string[]).includes(size)) {
    throw new Error(`unknown size "${size}"; choose ${TRAIN_SIZES.join(", ")}`);
  }
  if (overrides.dataset === "imagenet") {
    if (size !== "paper" && size !== "smoke") {
      throw new Error(
        `ImageNet training has the paper and smoke sizes, not ${size}`,
      );
    }
    return checkedTrainConfig({
      ...PAPER,
      ...IMAGENET_TRAIN,
      ...(size === "smoke" ? IMAGENET_SMOKE : {}),
      size,
      genotypeSource,
      ...Object.fromEntries(
        Object.entries(overrides).filter(([, v]) => v !== undefined),
      ),
    } as TrainConfig);
  }
  const sized: Partial<TrainConfig> = size === "paper"
    ? {}
    : size === "cpu"
    ? CPU
    : size === "small"
    ? { channels: 16, layers: 8, batchSize: 64, subset: 1000, epochs: 5 }
    : {
      channels: 8,
      layers: 5,
      batchSize: 32,
      subset: 128,
      epochs: 1,
      testSubset: 256,
    };
  const config = {
    ...PAPER,
    ...sized,
    size,
    genotypeSource,
    ...Object.fromEntries(
      Object.entries(overrides).filter(([, v]) => v !== undefined),
    ),
  } as TrainConfig;
  return checkedTrainConfig(config);
}

/** `config`, or a clear error for a value that cannot work. */
function checkedTrainConfig(config: TrainConfig): TrainConfig {
  for (const key of ["channels", "layers", "epochs", "batchSize"] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) {
      throw new Error(`${key} must be a positive integer, got ${config[key]}`);
    }
  }
  if (
    config.imageSide !== null && config.imageSide !== undefined &&
    !(Number.isInteger(config.imageSide) && config.imageSide >= 4)
  ) {
    throw new Error(
      `--image-side must be an integer of at least 4 pixels, got ${config.imageSide}`,
    );
  }
  const auxiliarySide = config.stem === "imagenet" ? 224 : 32;
  if (
    config.auxiliary && config.imageSide !== null &&
    config.imageSide !== undefined && config.imageSide !== auxiliarySide
  ) {
    throw new Error(
      `the auxiliary head expects the ${
        auxiliarySide === 32 ? "8×8 maps of 32" : "7×7 maps of 224"
      }-pixel images, not --image-side ${config.imageSide}; pass --auxiliary false`,
    );
  }
  if (!(config.dropPath >= 0 && config.dropPath < 1)) {
    throw new Error(`drop-path must be in [0, 1), got ${config.dropPath}`);
  }
  return config;
}
