/**
 * CIFAR-10 in the official binary format (`cifar-10-batches-bin/`): five
 * training files and one test file of 10,000 records, each record one label byte
 * and 3,072 bytes of channel-major (RRR…GGG…BBB…) 32x32 RGB. Every file's size
 * and MD5 is checked against the known values before it is used.
 */
import type { ImageDataset } from "./dataset.ts";
import { md5File } from "./md5.ts";
import { pathExists } from "../io/path_exists.ts";

/** Bytes per record: 1 label + 3 * 32 * 32 pixels. */
export const CIFAR10_RECORD_BYTES = 3073;

/** The official files with their sizes and MD5s. */
export interface KnownFile {
  /** File name inside `cifar-10-batches-bin/`. */
  name: string;
  /** Size in bytes. */
  bytes: number;
  /** Hex MD5. */
  md5: string;
}

/** The official CIFAR-10 binary files (from the distribution's MD5SUMS). */
export const CIFAR10_FILES: KnownFile[] = [
  {
    name: "data_batch_1.bin",
    bytes: 30730000,
    md5: "5dd7e06a14cb22eb9f671a540d1b7c25",
  },
  {
    name: "data_batch_2.bin",
    bytes: 30730000,
    md5: "5ea93a67294ea407fff1d09f752e9692",
  },
  {
    name: "data_batch_3.bin",
    bytes: 30730000,
    md5: "942cd6a4bcdd0dd3c604fbe906cb4421",
  },
  {
    name: "data_batch_4.bin",
    bytes: 30730000,
    md5: "ae636b3ba5c66a11e91e8cb52e771fcb",
  },
  {
    name: "data_batch_5.bin",
    bytes: 30730000,
    md5: "53f37980c15c3d472c316c40844f3f0d",
  },
  {
    name: "test_batch.bin",
    bytes: 30730000,
    md5: "803d5f7f4d78ea53de84dbe85f74fb6d",
  },
];

/** The authors' archive and its MD5. */
export const CIFAR10_ARCHIVE = {
  url: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
  md5: "c32a1d4ab5d03f1284b67883e8d87530",
  folder: "cifar-10-batches-bin",
};

/** CIFAR-10 training-set channel means and standard deviations. */
export const CIFAR10_MEAN = [0.49139968, 0.48215827, 0.44653124];
/** See {@linkcode CIFAR10_MEAN}. */
export const CIFAR10_STD = [0.24703233, 0.24348505, 0.26158768];

const DEFAULT_CLASS_NAMES = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];

/** One problem found by {@linkcode verifyCifar10}. */
export interface FileProblem {
  /** The file's path. */
  path: string;
  /** What is wrong with it. */
  problem: string;
}

/**
 * The `cifar-10-batches-bin` folder under `dir` (or `dir` itself if it holds the
 * files), or null.
 */
export function findCifar10Folder(dir: string): string | null {
  for (const candidate of [`${dir}/${CIFAR10_ARCHIVE.folder}`, dir]) {
    if (
      pathExists(`${candidate}/data_batch_1.bin`) ||
      pathExists(`${candidate}/test_batch.bin`)
    ) {
      return candidate;
    }
  }
  return pathExists(`${dir}/${CIFAR10_ARCHIVE.folder}`)
    ? `${dir}/${CIFAR10_ARCHIVE.folder}`
    : null;
}

/**
 * Checks every file of a CIFAR-10 folder: present, of the right size, with the
 * right MD5 (`checkMd5: false` skips the hash). Returns the problems, one per
 * bad file; an empty list means the folder is good.
 */
export async function verifyCifar10(
  folder: string,
  { files = CIFAR10_FILES, checkMd5 = true } = {},
): Promise<FileProblem[]> {
  const problems: FileProblem[] = [];
  for (const file of files) {
    const path = `${folder}/${file.name}`;
    let size: number;
    try {
      size = (await Deno.stat(path)).size;
    } catch {
      problems.push({ path, problem: "missing" });
      continue;
    }
    if (size !== file.bytes) {
      problems.push({
        path,
        problem: `${
          size < file.bytes ? "truncated" : "too large"
        }: ${size} bytes, expected ${file.bytes}`,
      });
      continue;
    }
    if (checkMd5) {
      const md5 = await md5File(path);
      if (md5 !== file.md5) {
        problems.push({
          path,
          problem: `corrupt: md5 ${md5}, expected ${file.md5}`,
        });
      }
    }
  }
  return problems;
}

/** Which part of CIFAR-10 to load. */
export type Cifar10Split = "train" | "test";

/** Options of {@linkcode loadCifar10}. */
export interface LoadCifar10Options {
  /** Check sizes and MD5s first (default true; `--no-verify` turns it off). */
  verify?: boolean;
  /** The expected files (tests use tiny ones). */
  files?: KnownFile[];
}

/**
 * Decodes binary CIFAR-10 records (a label byte, then 3,072 channel-major pixel
 * bytes) into HWC uint8 images and labels. `source` names the file in errors:
 * a length that is not whole records, or a label outside 0..9.
 */
export function decodeCifar10Records(
  bytes: Uint8Array,
  source: string,
): { images: Uint8Array; labels: Uint8Array; count: number } {
  if (bytes.length === 0 || bytes.length % CIFAR10_RECORD_BYTES !== 0) {
    throw new Error(
      `${source}: ${bytes.length} bytes is not a whole number of ${CIFAR10_RECORD_BYTES}-byte CIFAR-10 records (truncated?)`,
    );
  }
  const count = bytes.length / CIFAR10_RECORD_BYTES;
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  for (let r = 0; r < count; r++) {
    const base = r * CIFAR10_RECORD_BYTES;
    const label = bytes[base];
    if (label > 9) {
      throw new Error(
        `${source}: record ${r} has label ${label}, outside 0..9 (corrupt file)`,
      );
    }
    labels[r] = label;
    const out = r * 3072;
    // channel-major to HWC
    for (let p = 0; p < 1024; p++) {
      images[out + p * 3] = bytes[base + 1 + p];
      images[out + p * 3 + 1] = bytes[base + 1 + 1024 + p];
      images[out + p * 3 + 2] = bytes[base + 1 + 2048 + p];
    }
  }
  return { images, labels, count };
}

/**
 * The folder and files of one split of CIFAR-10 under `dir`, after checking
 * them as {@linkcode loadCifar10} does (present; size and MD5 unless
 * `options.verify` is false), without reading the images. Throws an error that
 * names the folder or file and what to do.
 */
export async function checkCifar10(
  dir: string,
  split: Cifar10Split,
  options: LoadCifar10Options = {},
): Promise<{ folder: string; wanted: KnownFile[] }> {
  const folder = findCifar10Folder(dir);
  const files = options.files ?? CIFAR10_FILES;
  if (!folder) {
    throw new Error(
      `CIFAR-10 not found in ${dir}: expected ${CIFAR10_ARCHIVE.folder}/data_batch_1.bin … test_batch.bin there. Run \`deno task data cifar10\` to download it, or point --data-dir / PCDARTS_DATA_DIR at a folder that holds ${CIFAR10_ARCHIVE.folder}/ (the authors' ${CIFAR10_ARCHIVE.url}, md5 ${CIFAR10_ARCHIVE.md5}, unpacked)`,
    );
  }
  const wanted = files.filter((f) =>
    split === "test"
      ? f.name.startsWith("test_batch")
      : f.name.startsWith("data_batch")
  );
  if (options.verify ?? true) {
    const problems = await verifyCifar10(folder, { files: wanted });
    if (problems.length > 0) {
      throw new Error(
        `CIFAR-10 in ${folder} is damaged: ${
          problems.map((p) => `${p.path}: ${p.problem}`).join("; ")
        }. Download it again with \`deno task data cifar10\` (or pass --no-verify to use it anyway)`,
      );
    }
  }
  return { folder, wanted };
}

/**
 * Reads the training (50,000) or test (10,000) images into memory as HWC uint8.
 * Throws an error naming the file for anything missing, truncated or corrupt,
 * or a label out of range; never returns a partial data set.
 */
export async function loadCifar10(
  dir: string,
  split: Cifar10Split,
  options: LoadCifar10Options = {},
): Promise<ImageDataset> {
  const { folder, wanted } = await checkCifar10(dir, split, options);
  const chunks: ReturnType<typeof decodeCifar10Records>[] = [];
  for (const file of wanted) {
    const path = `${folder}/${file.name}`;
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (error) {
      throw new Error(`cannot read ${path}: ${(error as Error).message}`);
    }
    chunks.push(decodeCifar10Records(bytes, path));
  }
  const count = chunks.reduce((n, c) => n + c.count, 0);
  const images = new Uint8Array(count * 3072);
  const labels = new Uint8Array(count);
  let index = 0;
  for (const chunk of chunks) {
    images.set(chunk.images, index * 3072);
    labels.set(chunk.labels, index);
    index += chunk.count;
  }
  let classNames = DEFAULT_CLASS_NAMES;
  try {
    const meta = (await Deno.readTextFile(`${folder}/batches.meta.txt`)).split(
      "\n",
    )
      .map((s) => s.trim()).filter(Boolean);
    if (meta.length === 10) classNames = meta;
  } catch {
    // optional
  }
  return {
    name: "cifar10",
    images,
    labels,
    count,
    height: 32,
    width: 32,
    channels: 3,
    numClasses: 10,
    mean: CIFAR10_MEAN,
    std: CIFAR10_STD,
    classNames,
  };
}
