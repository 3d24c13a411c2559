/**
 * The search's subsets of ImageNet's training images, as the reference samples
 * them: per class, 10 % of the images train the weights and another 2.5 % the
 * architecture, drawn from a seed. The sample is written as a manifest (CSV:
 * `subset,label,wnid,path`), so that a run can be repeated and its subset
 * shared; a manifest read back is checked against the folder it names.
 */
import { parse } from "csv-parse/sync";
import { Random } from "../../ops/random.ts";
import { writeCsvAtomic } from "../../io/csv_file.ts";
import type { FolderImage, ImageFolder } from "./image_folder.ts";

/** The reference's fractions of each class. */
export const SEARCH_FRACTIONS = { weights: 0.1, architecture: 0.025 };

/** The two subsets, each a list of images. */
export interface SearchSubsets {
  weights: FolderImage[];
  architecture: FolderImage[];
}

/**
 * Per class: the class's images shuffled by a generator seeded with `seed` and
 * the class index, then the first `round(f_w · n)` (at least 1) for the
 * weights and the next `round(f_a · n)` (at least 1) for the architecture.
 */
export function sampleSearchSubsets(
  folder: ImageFolder,
  seed: number,
  fractions = SEARCH_FRACTIONS,
): SearchSubsets {
  const byClass = new Map<number, FolderImage[]>();
  for (const image of folder.images) {
    const list = byClass.get(image.label) ?? [];
    list.push(image);
    byClass.set(image.label, list);
  }
  const weights: FolderImage[] = [];
  const architecture: FolderImage[] = [];
  for (const [label, images] of [...byClass].sort((a, b) => a[0] - b[0])) {
    const shuffled = new Random(seed * 1009 + label).shuffle([
      ...images,
    ]) as FolderImage[];
    const nw = Math.max(1, Math.round(fractions.weights * images.length));
    const na = Math.max(1, Math.round(fractions.architecture * images.length));
    if (nw + na > images.length) {
      throw new Error(
        `class ${
          folder.classes[label]
        } has ${images.length} images, too few for one weight and one architecture image`,
      );
    }
    weights.push(...shuffled.slice(0, nw));
    architecture.push(...shuffled.slice(nw, nw + na));
  }
  return { weights, architecture };
}

const COLUMNS = ["subset", "label", "wnid", "path"] as const;

/** Writes the subsets' manifest (atomically). */
export async function writeSubsetManifest(
  path: string,
  folder: ImageFolder,
  subsets: SearchSubsets,
): Promise<void> {
  const rows = (["weights", "architecture"] as const).flatMap((subset) =>
    subsets[subset].map((image) => ({
      subset,
      label: image.label,
      wnid: folder.classes[image.label],
      path: image.path,
    }))
  );
  await writeCsvAtomic(path, [...COLUMNS], rows);
}

/**
 * Reads a subsets' manifest; each row must name an image of `folder` under
 * its class, else the error names the manifest, its line and the row.
 */
export async function readSubsetManifest(
  path: string,
  folder: ImageFolder,
): Promise<SearchSubsets> {
  let records: Record<string, string>[];
  try {
    records = parse(await Deno.readTextFile(path), {
      columns: true,
      skip_empty_lines: true,
    });
  } catch (error) {
    throw new Error(
      `${path} is not a subsets manifest: ${(error as Error).message}`,
    );
  }
  const known = new Map(folder.images.map((i) => [i.path, i.label]));
  const out: SearchSubsets = { weights: [], architecture: [] };
  records.forEach((r, i) => {
    const label = known.get(r.path);
    const subset = r.subset as keyof SearchSubsets;
    if (
      (subset !== "weights" && subset !== "architecture") ||
      label === undefined || String(label) !== r.label ||
      folder.classes[label] !== r.wnid
    ) {
      throw new Error(
        `${path} line ${i + 2} (${
          JSON.stringify(r)
        }) does not name an image of ${folder.root}/${folder.split} in its class`,
      );
    }
    out[subset].push({ path: r.path, label });
  });
  return out;
}
