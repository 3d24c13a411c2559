/**
 * A search's batches on ImageNet: the per-class 10 % and 2.5 % subsets of the
 * training images (sampled from the seed and written as `subsets.csv` in the
 * run folder, or read back from it when resuming, or from a given manifest),
 * decoded from their files as the steps ask for them.
 */
import { join } from "node:path";
import { pathExists } from "../io/path_exists.ts";
import { readImageFolder } from "../data/imagenet/image_folder.ts";
import { ImageNetBatches } from "../data/imagenet/imagenet_batches.ts";
import {
  readSubsetManifest,
  sampleSearchSubsets,
  type SearchSubsets,
  writeSubsetManifest,
} from "../data/imagenet/search_subsets.ts";
import type { SearchConfig } from "./search_config.ts";
import type { SearchData } from "./search.ts";

/** The subsets manifest's name in a run folder. */
export const SUBSETS_FILE = "subsets.csv";

/** ImageNet search batches, and the sources to close and report on. */
export interface ImageNetSearchData extends SearchData {
  /** The subsets the search reads. */
  subsets: SearchSubsets;
  /** Files left out because they did not decode, by path. */
  skipped(): string[];
  /** Frees the decoders. */
  close(): void;
}

/**
 * The batches of an ImageNet search on the tree at `root` (ILSVRC-2012's
 * layout). The subsets come from `subsetsFile` where given, else from the run
 * folder's `subsets.csv` where it exists, else they are sampled from the seed
 * and written there.
 */
export async function imageNetSearchData(
  config: SearchConfig,
  root: string,
  outDir: string,
  options: { subsetsFile?: string; warn?: (line: string) => void } = {},
): Promise<ImageNetSearchData> {
  const folder = readImageFolder(root, "train");
  const saved = join(outDir, SUBSETS_FILE);
  const from = options.subsetsFile ?? (pathExists(saved) ? saved : undefined);
  const subsets = from
    ? await readSubsetManifest(from, folder)
    : sampleSearchSubsets(folder, config.seed);
  await Deno.mkdir(outDir, { recursive: true });
  if (from !== saved) await writeSubsetManifest(saved, folder, subsets);
  const side = config.imageSide ?? 224;
  const common = {
    batchSize: config.batchSize,
    seed: config.seed,
    side,
    warn: options.warn,
  };
  const weights = new ImageNetBatches(root, subsets.weights, {
    ...common,
    stream: 0,
    augment: true,
  });
  const architecture = new ImageNetBatches(root, subsets.architecture, {
    ...common,
    stream: 1,
    augment: true,
  });
  const evaluation = new ImageNetBatches(root, subsets.architecture, {
    ...common,
    stream: 2,
    augment: false,
    shuffle: false,
  });
  const sources = [weights, architecture, evaluation];
  return {
    shape: { numClasses: folder.classes.length, channels: 3 },
    weights,
    architecture,
    evaluation,
    subsets,
    skipped: () => [...new Set(sources.flatMap((s) => s.skipped))],
    close: () => sources.forEach((s) => s.close()),
  };
}
