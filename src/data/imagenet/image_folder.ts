/**
 * ILSVRC-2012's folder layout, as torchvision's ImageFolder reads it:
 * `ROOT/train/<wnid>/*.JPEG` and `ROOT/val/<wnid>/*.JPEG`, one folder per
 * class named by its WordNet id (`n01440764`); classes sorted by name, files
 * sorted by name within a class. A folder that does not match says what it
 * expected and what it found.
 */
import { join } from "node:path";

/** One image of a split: its path under the root and its class index. */
export interface FolderImage {
  /** Path relative to the data set's root (`train/n01440764/x.JPEG`). */
  path: string;
  /** Class index (position of its folder among the sorted classes). */
  label: number;
}

/** A split of an image folder. */
export interface ImageFolder {
  /** The data set's root. */
  root: string;
  /** `train` or `val`. */
  split: string;
  /** Class folder names, sorted (the label is the index). */
  classes: string[];
  /** Every image, class by class. */
  images: FolderImage[];
}

const IMAGE_EXTENSIONS = /\.(jpe?g)$/i;

/** What the layout is, for error messages. */
export const IMAGENET_LAYOUT =
  "ILSVRC-2012's layout: ROOT/train/<wnid>/*.JPEG and ROOT/val/<wnid>/*.JPEG, one folder per class named by its WordNet id (n01440764, ...); a validation set unpacked flat must first be sorted into class folders";

function entries(dir: string): Deno.DirEntry[] {
  try {
    return [...Deno.readDirSync(dir)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(`${dir} does not exist; expected ${IMAGENET_LAYOUT}`);
    }
    throw error;
  }
}

/** Reads `root/split`; throws naming what does not match the layout. */
export function readImageFolder(root: string, split: string): ImageFolder {
  const dir = join(root, split);
  const found = entries(dir);
  const loose = found.filter((e) => e.isFile && IMAGE_EXTENSIONS.test(e.name));
  if (loose.length > 0) {
    throw new Error(
      `${dir} holds ${loose.length} images directly (${
        loose[0].name
      }, ...), not in class folders; expected ${IMAGENET_LAYOUT}`,
    );
  }
  const classes = found.filter((e) => e.isDirectory).map((e) => e.name)
    .sort();
  if (classes.length === 0) {
    throw new Error(`${dir} has no class folders; expected ${IMAGENET_LAYOUT}`);
  }
  const images: FolderImage[] = [];
  classes.forEach((name, label) => {
    const files = entries(join(dir, name))
      .filter((e) => e.isFile && IMAGE_EXTENSIONS.test(e.name))
      .map((e) => e.name).sort();
    if (files.length === 0) {
      throw new Error(
        `${join(dir, name)} has no .JPEG images; expected ${IMAGENET_LAYOUT}`,
      );
    }
    for (const file of files) {
      images.push({ path: join(split, name, file), label });
    }
  });
  return { root, split, classes, images };
}

/** Reads both splits and checks that they name the same classes. */
export function readImageNet(root: string): {
  train: ImageFolder;
  val: ImageFolder;
} {
  const train = readImageFolder(root, "train");
  const val = readImageFolder(root, "val");
  if (train.classes.join() !== val.classes.join()) {
    const onlyTrain = train.classes.filter((c) => !val.classes.includes(c));
    const onlyVal = val.classes.filter((c) => !train.classes.includes(c));
    throw new Error(
      `${root}: train and val name different classes (only in train: ${
        onlyTrain.slice(0, 3).join(", ") || "none"
      }; only in val: ${onlyVal.slice(0, 3).join(", ") || "none"})`,
    );
  }
  return { train, val };
}
