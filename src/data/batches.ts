/**
 * Seeded, resumable batches with the reference's augmentation, as NHWC float32:
 * per-channel normalization with the data set's mean and std; random crop of the
 * image zero-padded by 4 pixels; horizontal flip with probability 1/2; cutout (a
 * square of side `cutout` set to 0 after normalization, centred anywhere, clipped).
 *
 * The order of an epoch depends only on (seed, epoch, stream) and the
 * augmentation of a batch only on (seed, epoch, batch index, stream), so batch
 * b of epoch e is the same whether or not the run was interrupted before it.
 */
import { Random } from "../ops/random.ts";
import { type ImageDataset, imageSize } from "./dataset.ts";

/** Which augmentations apply. */
export interface AugmentOptions {
  /** Random crop after zero padding by this many pixels (0 = off; 4 in the reference). */
  cropPadding: number;
  /** Random horizontal flip. */
  flip: boolean;
  /** Cutout square side (0 = off; 16 for training from scratch). */
  cutout: number;
}

/** No augmentation: normalization only (evaluation). */
export const NO_AUGMENTATION: AugmentOptions = {
  cropPadding: 0,
  flip: false,
  cutout: 0,
};
/** The reference search augmentation: crop (padding 4) and flip. */
export const SEARCH_AUGMENTATION: AugmentOptions = {
  cropPadding: 4,
  flip: true,
  cutout: 0,
};
/** The reference training-from-scratch augmentation: crop, flip, cutout 16. */
export const TRAIN_AUGMENTATION: AugmentOptions = {
  cropPadding: 4,
  flip: true,
  cutout: 16,
};

/** One batch, ready to become tensors. */
export interface Batch {
  /** `[size, height, width, channels]` normalized pixels. */
  images: Float32Array;
  /** `[size]` class indices. */
  labels: Int32Array;
  /** Number of images. */
  size: number;
  /** Image height. */
  height: number;
  /** Image width. */
  width: number;
  /** Channels. */
  channels: number;
}

/**
 * Where batches come from: an in-memory data set ({@linkcode BatchLoader}) or
 * files decoded on demand. A batch depends only on the seed, the epoch and
 * its index, so a resumed run sees the batches an uninterrupted one would.
 */
export interface BatchSource {
  /** Batches in one epoch. */
  batchesPerEpoch(): number;
  /** Batch `index` of `epoch` (files may be decoded asynchronously). */
  batch(epoch: number, index: number): Batch | Promise<Batch>;
}

/** Options of a {@linkcode BatchLoader}. */
export interface BatchLoaderOptions {
  /** Images per batch (the last batch of an epoch may be smaller). */
  batchSize: number;
  /** Seed of the order and the augmentation. */
  seed: number;
  /** Augmentation (default none). */
  augment?: AugmentOptions;
  /** Shuffle the order every epoch (default true). */
  shuffle?: boolean;
  /** Distinguishes loaders that share a seed (e.g. weights vs architecture data). */
  stream?: number;
  /** Drop the last, smaller batch (default false, as PyTorch's DataLoader). */
  dropLast?: boolean;
}

/** One 32-bit seed from several numbers (FNV-1a with extra mixing). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  }
  return h;
}

/** Deterministic batches of a subset of a data set. */
export class BatchLoader implements BatchSource {
  readonly dataset: ImageDataset;
  readonly indices: Int32Array;
  readonly options: Required<BatchLoaderOptions>;
  readonly #lut: Float32Array[];
  readonly #padValue: Float32Array;
  #orderEpoch = -1;
  #order: Int32Array = new Int32Array();

  /** `indices` select the images this loader serves. */
  constructor(
    dataset: ImageDataset,
    indices: ArrayLike<number>,
    options: BatchLoaderOptions,
  ) {
    if (!(options.batchSize >= 1)) {
      throw new Error(
        `batch size must be at least 1, got ${options.batchSize}`,
      );
    }
    if (indices.length === 0) {
      throw new Error("a batch loader needs at least one image");
    }
    this.dataset = dataset;
    this.indices = Int32Array.from(indices);
    this.options = {
      augment: NO_AUGMENTATION,
      shuffle: true,
      stream: 0,
      dropLast: false,
      ...options,
    };
    this.#lut = dataset.mean.map((mean, c) =>
      Float32Array.from(
        { length: 256 },
        (_, v) => (v / 255 - mean) / dataset.std[c],
      )
    );
    this.#padValue = Float32Array.from(
      dataset.mean,
      (m, c) => -m / dataset.std[c],
    );
  }

  /** Batches in one epoch. */
  batchesPerEpoch(): number {
    const n = this.indices.length / this.options.batchSize;
    return this.options.dropLast ? Math.floor(n) : Math.ceil(n);
  }

  /** The image order of an epoch (indices into the data set). */
  order(epoch: number): Int32Array {
    if (this.#orderEpoch !== epoch) {
      const order = this.indices.slice();
      if (this.options.shuffle) {
        new Random(mixSeed(this.options.seed, epoch, this.options.stream, 1))
          .shuffle(order);
      }
      this.#order = order;
      this.#orderEpoch = epoch;
    }
    return this.#order;
  }

  /** Batch `index` of `epoch`, augmented. */
  batch(epoch: number, index: number): Batch {
    const { batchSize, augment, seed, stream } = this.options;
    const order = this.order(epoch);
    const start = index * batchSize;
    if (index < 0 || start >= order.length) {
      throw new Error(
        `batch ${index} is outside epoch ${epoch} (${this.batchesPerEpoch()} batches)`,
      );
    }
    const size = Math.min(batchSize, order.length - start);
    const { height, width, channels } = this.dataset;
    const pixels = imageSize(this.dataset);
    const images = new Float32Array(size * pixels);
    const labels = new Int32Array(size);
    const random = new Random(mixSeed(seed, epoch, index, stream, 2));
    for (let i = 0; i < size; i++) {
      const source = order[start + i];
      labels[i] = this.dataset.labels[source];
      this.#augmentInto(
        images,
        i * pixels,
        source,
        random,
        augment,
        height,
        width,
        channels,
      );
    }
    return { images, labels, size, height, width, channels };
  }

  /** Every batch of an epoch, in order. */
  *epoch(epoch: number, fromBatch = 0): Generator<Batch> {
    const count = this.batchesPerEpoch();
    for (let b = fromBatch; b < count; b++) yield this.batch(epoch, b);
  }

  #augmentInto(
    out: Float32Array,
    offset: number,
    source: number,
    random: Random,
    augment: AugmentOptions,
    height: number,
    width: number,
    channels: number,
  ): void {
    const pad = augment.cropPadding;
    const dy = pad > 0 ? random.int(2 * pad + 1) - pad : 0;
    const dx = pad > 0 ? random.int(2 * pad + 1) - pad : 0;
    const flip = augment.flip ? random.uniform() < 0.5 : false;
    const src = this.dataset.images;
    const srcBase = source * height * width * channels;
    const lut = this.#lut;
    const padValue = this.#padValue;
    const rowLength = width * channels;
    for (let y = 0; y < height; y++) {
      const sy = y + dy;
      const rowOut = offset + y * rowLength;
      if (sy < 0 || sy >= height) {
        for (let x = 0; x < width; x++) {
          for (let c = 0; c < channels; c++) {
            out[rowOut + x * channels + c] = padValue[c];
          }
        }
        continue;
      }
      const rowIn = srcBase + sy * rowLength;
      for (let x = 0; x < width; x++) {
        const sx = (flip ? width - 1 - x : x) + dx;
        const o = rowOut + x * channels;
        if (sx < 0 || sx >= width) {
          for (let c = 0; c < channels; c++) out[o + c] = padValue[c];
        } else {
          const s = rowIn + sx * channels;
          for (let c = 0; c < channels; c++) out[o + c] = lut[c][src[s + c]];
        }
      }
    }
    if (augment.cutout > 0) {
      const cy = random.int(height);
      const cx = random.int(width);
      const half = Math.floor(augment.cutout / 2);
      const y1 = Math.max(0, cy - half);
      const y2 = Math.min(height, cy + half);
      const x1 = Math.max(0, cx - half);
      const x2 = Math.min(width, cx + half);
      for (let y = y1; y < y2; y++) {
        out.fill(
          0,
          offset + (y * width + x1) * channels,
          offset + (y * width + x2) * channels,
        );
      }
    }
  }
}
