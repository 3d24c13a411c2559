/**
 * A small ImageNet-layout tree for tests, written with TurboJPEG: a few
 * classes whose images differ in colour, of assorted sizes and aspect ratios,
 * with a grayscale and a CMYK JPEG among them (ImageNet has both), and
 * optionally a truncated and a garbage file.
 */
import { join } from "node:path";
import { Random } from "../ops/random.ts";
import { encodeJpeg } from "../data/jpeg/turbojpeg.ts";

/** Sizes (width x height) the tree's images cycle through. */
const SIZES: [number, number][] = [
  [48, 36],
  [30, 52],
  [64, 64],
  [80, 24],
  [40, 44],
];

/** What {@linkcode writeJpegTree} wrote. */
export interface JpegTree {
  root: string;
  classes: string[];
  /** Paths (relative to the root) of the grayscale and CMYK images. */
  gray: string;
  cmyk: string;
  /** Paths of the damaged files, when asked for. */
  truncated?: string;
  garbage?: string;
}

/** A class's image: its colour plus seeded noise and a gradient. */
function pixelsFor(
  label: number,
  width: number,
  height: number,
  random: Random,
): Uint8Array {
  const base = [[200, 40, 40], [40, 180, 60], [50, 60, 210], [180, 180, 40]][
    label % 4
  ];
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const v = base[c] + (x * 40) / width - 20 +
          30 * (random.uniform() - 0.5);
        out[(y * width + x) * 3 + c] = Math.max(
          0,
          Math.min(255, Math.round(v)),
        );
      }
    }
  }
  return out;
}

/**
 * Writes `root/{train,val}/<wnid>/*.JPEG`: `classes` classes, `perClass`
 * training and `valPerClass` validation images each.
 */
export function writeJpegTree(
  root: string,
  options: {
    classes?: number;
    perClass?: number;
    valPerClass?: number;
    damaged?: boolean;
    seed?: number;
  } = {},
): JpegTree {
  const classCount = options.classes ?? 3;
  const random = new Random(options.seed ?? 1);
  const classes = Array.from(
    { length: classCount },
    (_, i) => `n${String(1440764 + i * 7).padStart(8, "0")}`,
  );
  let n = 0;
  const write = (split: string, label: number, count: number) => {
    const dir = join(root, split, classes[label]);
    Deno.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < count; i++) {
      const [w, h] = SIZES[n++ % SIZES.length];
      const rgb = pixelsFor(label, w, h, random);
      Deno.writeFileSync(
        join(dir, `${classes[label]}_${split}_${i}.JPEG`),
        encodeJpeg(rgb, w, h, { format: "rgb", quality: 90 }),
      );
    }
  };
  classes.forEach((_, label) => {
    write("train", label, options.perClass ?? 8);
    write("val", label, options.valPerClass ?? 2);
  });
  // A grayscale and a CMYK image in the first class.
  const gray = join("train", classes[0], "gray.JPEG");
  const grayPixels = new Uint8Array(50 * 40).map((_, i) => (i * 7) % 256);
  Deno.writeFileSync(
    join(root, gray),
    encodeJpeg(grayPixels, 50, 40, { format: "gray" }),
  );
  const cmyk = join("train", classes[0], "cmyk.JPEG");
  const cmykPixels = new Uint8Array(36 * 28 * 4).map((_, i) =>
    i % 4 === 3 ? 230 : 255 - ((i * 3) % 120)
  );
  Deno.writeFileSync(
    join(root, cmyk),
    encodeJpeg(cmykPixels, 36, 28, { format: "cmyk" }),
  );
  const tree: JpegTree = { root, classes, gray, cmyk };
  if (options.damaged) {
    const whole = encodeJpeg(pixelsFor(1, 64, 64, random), 64, 64, {
      format: "rgb",
    });
    tree.truncated = join(
      "train",
      classes[1 % classes.length],
      "truncated.JPEG",
    );
    Deno.writeFileSync(
      join(root, tree.truncated),
      whole.slice(0, Math.floor(whole.length * 0.7)),
    );
    tree.garbage = join("train", classes[classes.length - 1], "garbage.JPEG");
    Deno.writeFileSync(
      join(root, tree.garbage),
      new TextEncoder().encode("not a jpeg at all"),
    );
  }
  return tree;
}
