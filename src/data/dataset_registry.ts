/**
 * The data sets by name: the one place where a command's data-set name becomes
 * a loader, a download, a stem and a class count. Commands ask it what a
 * data set can do ("search", "train", "download") and get a clear error,
 * naming the flag, for a name that cannot.
 */
import type { ImageDataset } from "./dataset.ts";
import { loadCifar10 } from "./cifar10.ts";
import { loadFashionMnist } from "./fashion_mnist.ts";
import { downloadCifar10, verifyCifar10Files } from "./cifar10_files.ts";
import {
  downloadFashionMnist,
  verifyFashionMnistFiles,
} from "./fashion_mnist_files.ts";

/** What a command does with a data set. */
export type DatasetUse = "search" | "train" | "download";

/** A split of an in-memory data set. */
export type DatasetSplit = "train" | "test";

/** One data set and what it offers. */
export interface DatasetEntry {
  /** The name commands take (`search cifar10`, `--dataset imagenet`). */
  readonly name: string;
  /** The networks' stem: CIFAR's 3x3 convolution or ImageNet's three. */
  readonly stem: "cifar" | "imagenet";
  /** Classes the classifier ends in. */
  readonly classes: number;
  /** The image side the networks see unless a run sets one. */
  readonly side: number;
  /** Whether the test error is reported with top-5 beside top-1. */
  readonly top5: boolean;
  /** The commands that take it. */
  readonly uses: readonly DatasetUse[];
  /**
   * Loads a split into memory (`verify`: md5 every file first, where the
   * data set has sums). Absent for a data set read from files batch by batch
   * (ImageNet's tree, whose readers live with the search and the training).
   */
  readonly load?: (
    dataDir: string,
    split: DatasetSplit,
    options: { verify: boolean },
  ) => Promise<ImageDataset>;
  /** Downloads it into a data folder; the exit status. */
  readonly download?: (dataDir: string) => Promise<number>;
  /** Checks its files in a data folder; the exit status. */
  readonly verify?: (dataDir: string) => Promise<number>;
}

/** Every data set, in the order help text lists them. */
export const DATASETS: readonly DatasetEntry[] = [
  {
    name: "cifar10",
    stem: "cifar",
    classes: 10,
    side: 32,
    top5: false,
    uses: ["search", "train", "download"],
    load: (dataDir, split, { verify }) =>
      loadCifar10(dataDir, split, { verify }),
    download: downloadCifar10,
    verify: verifyCifar10Files,
  },
  {
    name: "fashion-mnist",
    stem: "cifar",
    classes: 10,
    side: 28,
    top5: false,
    uses: ["search", "download"],
    load: (dataDir, split) => loadFashionMnist(dataDir, split),
    download: downloadFashionMnist,
    verify: verifyFashionMnistFiles,
  },
  {
    name: "imagenet",
    stem: "imagenet",
    classes: 1000,
    side: 224,
    top5: true,
    uses: ["search", "train"],
  },
];

/** The names of the data sets a command takes, in help order. */
export function datasetNames(use: DatasetUse): string[] {
  return DATASETS.filter((d) => d.uses.includes(use)).map((d) => d.name);
}

/** "a, b or c": the names for help text and errors. */
export function datasetChoicesText(use: DatasetUse): string {
  const names = datasetNames(use);
  return names.length < 2
    ? names.join("")
    : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

/**
 * The data set `name` for a use; throws, naming `where` (a flag or an
 * argument) and the names that would do, for one that does not exist or is
 * not offered for that use.
 */
export function datasetEntry(
  name: string | undefined,
  use: DatasetUse,
  where = "the data set",
): DatasetEntry {
  const entry = DATASETS.find((d) => d.name === name);
  if (!entry || !entry.uses.includes(use)) {
    const what = name === undefined || name === ""
      ? "none given"
      : entry
      ? `"${name}" cannot be used to ${use}`
      : `unknown data set "${name}"`;
    throw new Error(`${where}: ${what}; choose ${datasetChoicesText(use)}`);
  }
  return entry;
}

/** Loads a split of an in-memory data set; throws for a streamed one. */
export function loadSplit(
  entry: DatasetEntry,
  dataDir: string,
  split: DatasetSplit,
  options: { verify: boolean },
): Promise<ImageDataset> {
  if (!entry.load) {
    throw new Error(
      `${entry.name} is read from files batch by batch, not loaded into memory`,
    );
  }
  return entry.load(dataDir, split, options);
}

/** Both splits of an in-memory data set that trains (the grid's, the error suite's). */
export async function loadTrainAndTest(
  name: string,
  dataDir: string,
  options: { verify: boolean },
): Promise<{ train: ImageDataset; test: ImageDataset }> {
  const entry = datasetEntry(name, "train");
  return {
    train: await loadSplit(entry, dataDir, "train", options),
    test: await loadSplit(entry, dataDir, "test", options),
  };
}
