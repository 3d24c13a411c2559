/**
 * Batches of ImageNet images decoded from their files on demand: each image
 * decoded with TurboJPEG, transformed (the training transform with a
 * generator seeded by the seed, the epoch and the image's position; or the
 * validation transform) and normalized with ImageNet's means and standard
 * deviations. The order of an epoch is a seeded shuffle, so a batch depends
 * only on the seed, the epoch and its index.
 *
 * A file that does not decode (damaged, truncated, not a JPEG) is left out of
 * its batch, named once on the log with its path and counted
 * ({@linkcode ImageNetBatches.skipped}); the run goes on.
 */
import { join } from "node:path";
import { Random } from "../../ops/random.ts";
import { type Batch, type BatchSource, mixSeed } from "../batches.ts";
import { JpegDecoder, JpegError, type RgbImage } from "../jpeg/turbojpeg.ts";
import type { FolderImage } from "./image_folder.ts";
import {
  IMAGENET_MEAN,
  IMAGENET_STD,
  trainTransform,
  validationTransform,
} from "./transforms.ts";

/** How an {@linkcode ImageNetBatches} serves its images. */
export interface ImageNetBatchOptions {
  /** Images per batch (the last batch of an epoch may be smaller). */
  batchSize: number;
  /** Seed of the order and the augmentation. */
  seed: number;
  /** Distinguishes sources that share a seed (weights vs architecture). */
  stream: number;
  /** The training transform (else the validation one). */
  augment: boolean;
  /** Shuffle the order every epoch (default true). */
  shuffle?: boolean;
  /** The side of the images served (224; smaller for quick runs). */
  side: number;
  /** Where damaged files are named (default console.warn). */
  warn?: (line: string) => void;
}

/** Batches of ImageNet files. */
export class ImageNetBatches implements BatchSource {
  readonly #decoder = new JpegDecoder();
  readonly #skipped = new Set<string>();
  readonly #options: Required<ImageNetBatchOptions>;

  /** `images`' paths are relative to `root`. */
  constructor(
    readonly root: string,
    readonly images: readonly FolderImage[],
    options: ImageNetBatchOptions,
  ) {
    if (images.length === 0) throw new Error("no images to serve");
    this.#options = {
      ...options,
      shuffle: options.shuffle ?? true,
      warn: options.warn ?? ((line) => console.warn(line)),
    };
  }

  /** Files left out because they did not decode, by path. */
  get skipped(): string[] {
    return [...this.#skipped];
  }

  batchesPerEpoch(): number {
    return Math.ceil(this.images.length / this.#options.batchSize);
  }

  /** The image order of an epoch (positions in `images`). */
  order(epoch: number): Int32Array {
    const order = Int32Array.from(this.images, (_, i) => i);
    if (this.#options.shuffle) {
      new Random(mixSeed(this.#options.seed, epoch, this.#options.stream, 1))
        .shuffle(order);
    }
    return order;
  }

  batch(epoch: number, index: number): Batch {
    const { batchSize, side, seed, stream, augment } = this.#options;
    const order = this.order(epoch);
    const start = index * batchSize;
    if (index < 0 || start >= order.length) {
      throw new Error(
        `batch ${index} is outside epoch ${epoch} (${this.batchesPerEpoch()} batches)`,
      );
    }
    const chosen = order.slice(
      start,
      Math.min(order.length, start + batchSize),
    );
    const pixels = side * side * 3;
    const images = new Float32Array(chosen.length * pixels);
    const labels: number[] = [];
    let size = 0;
    for (const position of chosen) {
      const image = this.images[position];
      const decoded = this.#decode(image);
      if (decoded === null) continue;
      const out = augment
        ? trainTransform(
          decoded,
          new Random(mixSeed(seed, epoch, stream, position, 2)),
          side,
        )
        : validationTransform(decoded, side, Math.round((side * 256) / 224));
      normalizeInto(images, size * pixels, out);
      labels.push(image.label);
      size++;
    }
    if (size === 0) {
      throw new Error(
        `every image of batch ${index} of epoch ${epoch} failed to decode (${
          this.skipped.slice(0, 3).join(", ")
        })`,
      );
    }
    return {
      images: images.subarray(0, size * pixels),
      labels: Int32Array.from(labels),
      size,
      height: side,
      width: side,
      channels: 3,
    };
  }

  #decode(image: FolderImage): RgbImage | null {
    const path = join(this.root, image.path);
    if (this.#skipped.has(image.path)) return null;
    try {
      return this.#decoder.decode(Deno.readFileSync(path));
    } catch (error) {
      if (!(error instanceof JpegError)) throw error;
      this.#skipped.add(image.path);
      this.#options.warn(`skipped ${path}: ${error.message}`);
      return null;
    }
  }

  /** Frees the decoder. */
  close(): void {
    this.#decoder.close();
  }
}

/** Writes an 8-bit RGB image as normalized floats at `offset`. */
function normalizeInto(out: Float32Array, offset: number, image: RgbImage) {
  const scale = IMAGENET_STD.map((s) => 1 / (255 * s));
  const shift = IMAGENET_MEAN.map((m, c) => m / IMAGENET_STD[c]);
  const px = image.pixels;
  for (let i = 0; i < px.length; i += 3) {
    for (let c = 0; c < 3; c++) {
      out[offset + i + c] = px[i + c] * scale[c] - shift[c];
    }
  }
}
