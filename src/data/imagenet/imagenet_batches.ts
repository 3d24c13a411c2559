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
 *
 * Batches are decoded in a worker beside the step: asking for batch i starts
 * batch i + 1, so the step that follows finds it ready. The worker computes
 * exactly what the calling thread would ({@linkcode decodeBatch}).
 */
import { join } from "node:path";
import { Random } from "../../ops/random.ts";
import { type Batch, type BatchSource, mixSeed } from "../batches.ts";
import { JpegDecoder, JpegError, type RgbImage } from "../jpeg/turbojpeg.ts";
import type { FolderImage } from "./image_folder.ts";
import {
  DecodeWorkerClient,
  DEFAULT_DECODE_TIMEOUT_MS,
} from "./decode_worker_client.ts";
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
  /** Decode in a worker beside the step (default true). */
  worker?: boolean;
  /** The worker's script (default `decode_worker.ts`; tests give failing ones). */
  workerScript?: URL;
  /** How long the worker may take for a batch before the run fails. */
  workerTimeoutMs?: number;
}

/** One image of a batch to decode: its file, label and augmentation seed. */
export interface BatchEntry {
  path: string;
  label: number;
  seed: number;
}

/** What decoding a batch gives: the batch, and the files that did not decode. */
export interface DecodedBatch {
  batch: Batch;
  /** Files left out, with why. */
  skipped: { path: string; why: string }[];
}

/**
 * Decodes and transforms a batch's images into normalized floats (the work a
 * worker does); files that do not decode are left out and reported.
 */
export function decodeBatch(
  root: string,
  entries: readonly BatchEntry[],
  options: { side: number; augment: boolean },
  decoder: JpegDecoder,
): DecodedBatch {
  const { side, augment } = options;
  const pixels = side * side * 3;
  const images = new Float32Array(entries.length * pixels);
  const labels: number[] = [];
  const skipped: { path: string; why: string }[] = [];
  for (const entry of entries) {
    let decoded: RgbImage;
    try {
      decoded = decoder.decode(Deno.readFileSync(join(root, entry.path)));
    } catch (error) {
      if (!(error instanceof JpegError)) throw error;
      skipped.push({ path: entry.path, why: error.message });
      continue;
    }
    const out = augment
      ? trainTransform(decoded, new Random(entry.seed), side)
      : validationTransform(decoded, side, Math.round((side * 256) / 224));
    normalizeInto(images, labels.length * pixels, out);
    labels.push(entry.label);
  }
  return {
    batch: {
      // A copy only where files were left out.
      images: labels.length === entries.length
        ? images
        : images.slice(0, labels.length * pixels),
      labels: Int32Array.from(labels),
      size: labels.length,
      height: side,
      width: side,
      channels: 3,
    },
    skipped,
  };
}

/** Batches of ImageNet files. */
export class ImageNetBatches implements BatchSource {
  readonly #skipped = new Set<string>();
  readonly #options: Required<Omit<ImageNetBatchOptions, "workerScript">> & {
    workerScript?: URL;
  };
  #decoder: JpegDecoder | undefined;
  #worker: DecodeWorkerClient | undefined;
  #order: { epoch: number; order: Int32Array } | undefined;
  /** The batch asked for ahead: its key and its result. */
  #ahead: { key: string; result: Promise<DecodedBatch> } | undefined;

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
      worker: options.worker ?? true,
      workerTimeoutMs: options.workerTimeoutMs ?? DEFAULT_DECODE_TIMEOUT_MS,
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
    // Kept for the epoch: every batch of it reads the same order.
    if (this.#order?.epoch !== epoch) {
      const order = Int32Array.from(this.images, (_, i) => i);
      if (this.#options.shuffle) {
        new Random(mixSeed(this.#options.seed, epoch, this.#options.stream, 1))
          .shuffle(order);
      }
      this.#order = { epoch, order };
    }
    return this.#order.order;
  }

  /** The images of batch `index` of `epoch`, each with its seed. */
  entries(epoch: number, index: number): BatchEntry[] {
    const { batchSize, seed, stream } = this.#options;
    const order = this.order(epoch);
    const start = index * batchSize;
    if (index < 0 || start >= order.length) {
      throw new Error(
        `batch ${index} is outside epoch ${epoch} (${this.batchesPerEpoch()} batches)`,
      );
    }
    return [...order.slice(start, Math.min(order.length, start + batchSize))]
      .map((position) => ({
        path: this.images[position].path,
        label: this.images[position].label,
        seed: mixSeed(seed, epoch, stream, position, 2),
      }));
  }

  async batch(epoch: number, index: number): Promise<Batch> {
    const key = `${epoch}/${index}`;
    const result = this.#ahead?.key === key
      ? this.#ahead.result
      : this.#decode(epoch, index);
    // The next batch (the next epoch's first after the last) starts now.
    const [nextEpoch, nextIndex] = index + 1 < this.batchesPerEpoch()
      ? [epoch, index + 1]
      : [epoch + 1, 0];
    this.#ahead = {
      key: `${nextEpoch}/${nextIndex}`,
      result: this.#decode(nextEpoch, nextIndex),
    };
    const { batch, skipped } = await result;
    for (const { path, why } of skipped) {
      if (this.#skipped.has(path)) continue;
      this.#skipped.add(path);
      this.#options.warn(`skipped ${join(this.root, path)}: ${why}`);
    }
    if (batch.size === 0) {
      throw new Error(
        `every image of batch ${index} of epoch ${epoch} failed to decode (${
          this.skipped.slice(0, 3).join(", ")
        })`,
      );
    }
    return batch;
  }

  #decode(epoch: number, index: number): Promise<DecodedBatch> {
    const entries = this.entries(epoch, index);
    const options = {
      side: this.#options.side,
      augment: this.#options.augment,
    };
    if (!this.#options.worker) {
      this.#decoder ??= new JpegDecoder();
      return Promise.resolve(
        decodeBatch(this.root, entries, options, this.#decoder),
      );
    }
    this.#worker ??= new DecodeWorkerClient({
      script: this.#options.workerScript,
      timeoutMs: this.#options.workerTimeoutMs,
    });
    return this.#worker.decode({ root: this.root, entries, options });
  }

  /** Stops the worker and frees the decoder. */
  close(): void {
    this.#worker?.close();
    this.#worker = undefined;
    this.#decoder?.close();
    this.#decoder = undefined;
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
