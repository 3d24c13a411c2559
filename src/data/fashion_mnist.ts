/**
 * Fashion-MNIST from its gzipped IDX files (`train-images-idx3-ubyte.gz`,
 * `train-labels-idx1-ubyte.gz`, `t10k-…`), looked for in the data folder, its
 * `fashion-mnist/` subfolder and `/usr/share/datasets/fashion-mnist/` (Debian's
 * `dataset-fashion-mnist`). Headers are checked: magic numbers 2051 (images) and
 * 2049 (labels), matching counts, 28x28 images, labels 0..9.
 */
import type { ImageDataset } from "./dataset.ts";

/** Where Debian's `dataset-fashion-mnist` package puts the files. */
export const DEBIAN_FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist";

/** The authors' download location. */
export const FASHION_MNIST_URL =
  "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com";

const FILES = {
  train: ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"],
  test: ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"],
};

const CLASS_NAMES = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

/** Folders searched, in order. */
export function fashionMnistCandidates(dataDir: string): string[] {
  return [`${dataDir}/fashion-mnist`, dataDir, DEBIAN_FASHION_MNIST_DIR];
}

async function gunzip(path: string): Promise<Uint8Array> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const stream = file.readable.pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new Error(
      `${path}: not a valid gzip file (${(error as Error).message})`,
    );
  }
}

/** Parses IDX image bytes (magic 2051). */
export function parseIdxImages(bytes: Uint8Array, source: string) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 16 || view.getUint32(0) !== 2051) {
    throw new Error(
      `${source}: wrong magic number ${
        bytes.length >= 4 ? view.getUint32(0) : "(file too short)"
      }, expected 2051 for IDX images`,
    );
  }
  const count = view.getUint32(4);
  const rows = view.getUint32(8);
  const cols = view.getUint32(12);
  if (bytes.length !== 16 + count * rows * cols) {
    throw new Error(
      `${source}: header says ${count} images of ${rows}x${cols} (${
        16 + count * rows * cols
      } bytes) but the file has ${bytes.length} bytes (truncated?)`,
    );
  }
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

/** Parses IDX label bytes (magic 2049). */
export function parseIdxLabels(bytes: Uint8Array, source: string) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8 || view.getUint32(0) !== 2049) {
    throw new Error(
      `${source}: wrong magic number ${
        bytes.length >= 4 ? view.getUint32(0) : "(file too short)"
      }, expected 2049 for IDX labels`,
    );
  }
  const count = view.getUint32(4);
  if (bytes.length !== 8 + count) {
    throw new Error(
      `${source}: header says ${count} labels but the file has ${
        bytes.length - 8
      } (truncated?)`,
    );
  }
  const labels = bytes.subarray(8);
  const bad = labels.findIndex((l) => l > 9);
  if (bad >= 0) {
    throw new Error(
      `${source}: label ${labels[bad]} at index ${bad} is outside 0..9`,
    );
  }
  return { count, labels };
}

/** Loads the training (60,000) or test (10,000) split. */
export async function loadFashionMnist(
  dataDir: string,
  split: "train" | "test",
): Promise<ImageDataset> {
  const [imagesName, labelsName] = FILES[split];
  const folder = fashionMnistCandidates(dataDir).find((dir) => {
    try {
      return Deno.statSync(`${dir}/${imagesName}`).isFile;
    } catch {
      return false;
    }
  });
  if (!folder) {
    throw new Error(
      `Fashion-MNIST not found: looked for ${imagesName} in ${
        fashionMnistCandidates(dataDir).join(", ")
      }. Install Debian's dataset-fashion-mnist package, run \`deno task data fashion-mnist\`, or put the four .gz files from ${FASHION_MNIST_URL} in ${dataDir}/fashion-mnist/`,
    );
  }
  const imagesPath = `${folder}/${imagesName}`;
  const labelsPath = `${folder}/${labelsName}`;
  const images = parseIdxImages(await gunzip(imagesPath), imagesPath);
  const labels = parseIdxLabels(await gunzip(labelsPath), labelsPath);
  if (images.count !== labels.count) {
    throw new Error(
      `${folder}: ${images.count} images but ${labels.count} labels in ${labelsName}`,
    );
  }
  return {
    name: "fashion-mnist",
    images: images.pixels.slice(),
    labels: labels.labels.slice(),
    count: images.count,
    height: images.rows,
    width: images.cols,
    channels: 1,
    numClasses: 10,
    mean: [0.2860],
    std: [0.3530],
    classNames: CLASS_NAMES,
  };
}
