/**
 * The reference's ImageNet transforms (torchvision's, on PIL images), on 8-bit
 * RGB HWC images:
 *
 * - training: a random-resized crop (area 8-100 % of the image, aspect ratio
 *   3/4 to 4/3, ten tries then a centre crop) resized to 224, a horizontal flip
 *   with probability 1/2, and colour jitter (brightness, contrast and
 *   saturation factors in [0.6, 1.4], a hue shift in [-0.2, 0.2] of the
 *   circle, applied in a random order);
 * - validation: the shorter side resized to 256, then the centre 224x224.
 *
 * Resizing is bilinear with PIL's antialiasing (the triangle filter widened by
 * the scale when shrinking). Every random choice comes from the generator
 * passed in, so an image's augmentation depends only on its seed.
 */
import type { Random } from "../../ops/random.ts";
import type { RgbImage } from "../jpeg/turbojpeg.ts";

/** ImageNet's channel means and standard deviations (the reference's). */
export const IMAGENET_MEAN = [0.485, 0.456, 0.406];
/** See {@linkcode IMAGENET_MEAN}. */
export const IMAGENET_STD = [0.229, 0.224, 0.225];

/** Contributions of input pixels to each output pixel along one axis. */
interface AxisWeights {
  /** First input index per output pixel. */
  start: Int32Array;
  /** Number of inputs per output pixel. */
  count: Int32Array;
  /** `count` weights per output pixel, at `output * stride`. */
  weights: Float64Array;
  stride: number;
}

/**
 * PIL's resampling weights for `inSize` → `outSize` over the input interval
 * [from, from + span): a triangle of support 1, widened by the scale when
 * shrinking, normalized per output pixel.
 */
function axisWeights(
  from: number,
  span: number,
  outSize: number,
): AxisWeights {
  const scale = span / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * stride);
  for (let o = 0; o < outSize; o++) {
    const center = from + (o + 0.5) * scale;
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), from + span);
    let total = 0;
    const n = Math.min(hi - lo, stride);
    for (let k = 0; k < n; k++) {
      const x = (lo + k - center + 0.5) / filterScale;
      const w = Math.max(0, 1 - Math.abs(x));
      weights[o * stride + k] = w;
      total += w;
    }
    for (let k = 0; k < n; k++) {
      weights[o * stride + k] = total > 0 ? weights[o * stride + k] / total : 0;
    }
    start[o] = lo;
    count[o] = n;
  }
  return { start, count, weights, stride };
}

/**
 * Resizes the region `[left, left + width) x [top, top + height)` of `image`
 * to `outWidth x outHeight`, bilinear with antialiasing (rows, then columns).
 */
export function resizeRegion(
  image: RgbImage,
  left: number,
  top: number,
  width: number,
  height: number,
  outWidth: number,
  outHeight: number,
): RgbImage {
  const xs = axisWeights(left, width, outWidth);
  const ys = axisWeights(top, height, outHeight);
  // Horizontal pass over the rows the vertical pass reads.
  const rowFrom = ys.start[0];
  const rowTo = ys.start[outHeight - 1] + ys.count[outHeight - 1];
  const mid = new Float32Array((rowTo - rowFrom) * outWidth * 3);
  const src = image.pixels;
  for (let y = rowFrom; y < rowTo; y++) {
    const row = y * image.width * 3;
    const out = (y - rowFrom) * outWidth * 3;
    for (let o = 0; o < outWidth; o++) {
      let r = 0, g = 0, b = 0;
      const base = xs.start[o];
      for (let k = 0; k < xs.count[o]; k++) {
        const w = xs.weights[o * xs.stride + k];
        const p = row + (base + k) * 3;
        r += w * src[p];
        g += w * src[p + 1];
        b += w * src[p + 2];
      }
      mid[out + o * 3] = r;
      mid[out + o * 3 + 1] = g;
      mid[out + o * 3 + 2] = b;
    }
  }
  const pixels = new Uint8Array(outWidth * outHeight * 3);
  for (let o = 0; o < outHeight; o++) {
    const base = ys.start[o] - rowFrom;
    for (let x = 0; x < outWidth * 3; x++) {
      let v = 0;
      for (let k = 0; k < ys.count[o]; k++) {
        v += ys.weights[o * ys.stride + k] * mid[(base + k) * outWidth * 3 + x];
      }
      pixels[o * outWidth * 3 + x] = v <= 0
        ? 0
        : v >= 255
        ? 255
        : Math.round(v);
    }
  }
  return { width: outWidth, height: outHeight, pixels };
}

/** The shorter side resized to `size` (the longer keeps the aspect, truncated). */
export function resizeShorter(image: RgbImage, size: number): RgbImage {
  const { width: w, height: h } = image;
  const [outW, outH] = w <= h
    ? [size, Math.trunc((size * h) / w)]
    : [Math.trunc((size * w) / h), size];
  return resizeRegion(image, 0, 0, w, h, outW, outH);
}

/** The centre `size x size` (offsets rounded, as torchvision's). */
export function centerCrop(image: RgbImage, size: number): RgbImage {
  if (image.width < size || image.height < size) {
    throw new Error(
      `a ${image.width}x${image.height} image has no ${size}x${size} centre`,
    );
  }
  const top = Math.round((image.height - size) / 2);
  const left = Math.round((image.width - size) / 2);
  const pixels = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    const from = ((top + y) * image.width + left) * 3;
    pixels.set(image.pixels.subarray(from, from + size * 3), y * size * 3);
  }
  return { width: size, height: size, pixels };
}

/** A crop: its top-left corner and size. */
export interface CropBox {
  top: number;
  left: number;
  height: number;
  width: number;
}

/** An integer in [lo, hi], inclusive (Python's randint). */
function randint(random: Random, lo: number, hi: number): number {
  return lo + random.int(hi - lo + 1);
}

/**
 * torchvision's RandomResizedCrop box: ten tries at an area fraction in
 * `scale` and a log-uniform aspect ratio in `ratio`, then the centre crop
 * clamped to the ratio range.
 */
export function randomResizedCropBox(
  width: number,
  height: number,
  random: Random,
  scale: [number, number] = [0.08, 1],
  ratio: [number, number] = [3 / 4, 4 / 3],
): CropBox {
  const area = width * height;
  const [logLo, logHi] = [Math.log(ratio[0]), Math.log(ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const target = area * (scale[0] + (scale[1] - scale[0]) * random.uniform());
    const aspect = Math.exp(logLo + (logHi - logLo) * random.uniform());
    const w = Math.round(Math.sqrt(target * aspect));
    const h = Math.round(Math.sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const top = randint(random, 0, height - h);
      const left = randint(random, 0, width - w);
      return { top, left, height: h, width: w };
    }
  }
  const inRatio = width / height;
  let w = width, h = height;
  if (inRatio < ratio[0]) h = Math.round(w / ratio[0]);
  else if (inRatio > ratio[1]) w = Math.round(h * ratio[1]);
  return {
    top: Math.trunc((height - h) / 2),
    left: Math.trunc((width - w) / 2),
    height: h,
    width: w,
  };
}

/** Mirrors the image left to right. */
export function flipHorizontal(image: RgbImage): RgbImage {
  const { width: w, height: h } = image;
  const pixels = new Uint8Array(image.pixels.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const from = (y * w + x) * 3, to = (y * w + (w - 1 - x)) * 3;
      pixels[to] = image.pixels[from];
      pixels[to + 1] = image.pixels[from + 1];
      pixels[to + 2] = image.pixels[from + 2];
    }
  }
  return { width: w, height: h, pixels };
}

const clamp8 = (v: number) => v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
/** PIL's luma ("L" mode): (299 R + 587 G + 114 B) / 1000, rounded. */
const luma = (r: number, g: number, b: number) =>
  Math.trunc((r * 299 + g * 587 + b * 114 + 500) / 1000);

/** Blends every pixel towards `towards(pixel)` by `factor` (1: unchanged). */
function blend(
  pixels: Uint8Array,
  factor: number,
  towards: (i: number) => number,
): void {
  for (let i = 0; i < pixels.length; i += 3) {
    const t = towards(i);
    for (let c = 0; c < 3; c++) {
      pixels[i + c] = clamp8(t + factor * (pixels[i + c] - t));
    }
  }
}

/** Brightness: every value times `factor`. */
export function adjustBrightness(pixels: Uint8Array, factor: number): void {
  blend(pixels, factor, () => 0);
}

/** Contrast: towards the image's mean luma. */
export function adjustContrast(pixels: Uint8Array, factor: number): void {
  let sum = 0;
  for (let i = 0; i < pixels.length; i += 3) {
    sum += luma(pixels[i], pixels[i + 1], pixels[i + 2]);
  }
  const mean = Math.round(sum / (pixels.length / 3));
  blend(pixels, factor, () => mean);
}

/** Saturation: towards each pixel's own luma. */
export function adjustSaturation(pixels: Uint8Array, factor: number): void {
  blend(pixels, factor, (i) => luma(pixels[i], pixels[i + 1], pixels[i + 2]));
}

/**
 * Hue: in 8-bit HSV (PIL's), the hue moved by `shift` of the circle
 * (|shift| ≤ 0.5), wrapping around.
 */
export function adjustHue(pixels: Uint8Array, shift: number): void {
  const delta = Math.round(shift * 255);
  for (let i = 0; i < pixels.length; i += 3) {
    const r = pixels[i], g = pixels[i + 1], b = pixels[i + 2];
    const max = Math.max(r, g, b), min = Math.min(r, g, b);
    if (max === min) continue; // grey: no hue
    const chroma = max - min;
    let h: number;
    if (max === r) h = ((g - b) / chroma + 6) % 6;
    else if (max === g) h = (b - r) / chroma + 2;
    else h = (r - g) / chroma + 4;
    let h8 = Math.round((h / 6) * 255) & 255;
    h8 = (h8 + delta + 256) & 255;
    const s = chroma / max;
    const v = max;
    // Back to RGB from (h8 / 255 of the circle, s, v).
    const hh = (h8 / 255) * 6;
    const sector = Math.floor(hh) % 6;
    const f = hh - Math.floor(hh);
    const p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    const [nr, ng, nb] = [
      [v, t, p],
      [q, v, p],
      [p, v, t],
      [p, q, v],
      [t, p, v],
      [v, p, q],
    ][sector];
    pixels[i] = clamp8(nr);
    pixels[i + 1] = clamp8(ng);
    pixels[i + 2] = clamp8(nb);
  }
}

/** The colour jitter's strengths (torchvision's ColorJitter arguments). */
export interface ColorJitter {
  brightness: number;
  contrast: number;
  saturation: number;
  hue: number;
}

/** The reference's jitter: 0.4, 0.4, 0.4 and hue 0.2. */
export const REFERENCE_JITTER: ColorJitter = {
  brightness: 0.4,
  contrast: 0.4,
  saturation: 0.4,
  hue: 0.2,
};

/** Applies the four adjustments in a random order with random factors. */
export function colorJitter(
  pixels: Uint8Array,
  jitter: ColorJitter,
  random: Random,
): void {
  const order = [0, 1, 2, 3];
  for (let i = order.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const factor = (strength: number) =>
    1 - strength + 2 * strength * random.uniform();
  for (const which of order) {
    if (which === 0 && jitter.brightness > 0) {
      adjustBrightness(pixels, factor(jitter.brightness));
    } else if (which === 1 && jitter.contrast > 0) {
      adjustContrast(pixels, factor(jitter.contrast));
    } else if (which === 2 && jitter.saturation > 0) {
      adjustSaturation(pixels, factor(jitter.saturation));
    } else if (which === 3 && jitter.hue > 0) {
      adjustHue(pixels, jitter.hue * (2 * random.uniform() - 1));
    }
  }
}

/** The training transform: crop, resize to `size`, flip, jitter. */
export function trainTransform(
  image: RgbImage,
  random: Random,
  size = 224,
  jitter: ColorJitter = REFERENCE_JITTER,
): RgbImage {
  const box = randomResizedCropBox(image.width, image.height, random);
  let out = resizeRegion(
    image,
    box.left,
    box.top,
    box.width,
    box.height,
    size,
    size,
  );
  if (random.uniform() < 0.5) out = flipHorizontal(out);
  colorJitter(out.pixels, jitter, random);
  return out;
}

/** The validation transform: shorter side to `resize`, centre `size`. */
export function validationTransform(
  image: RgbImage,
  size = 224,
  resize = 256,
): RgbImage {
  return centerCrop(resizeShorter(image, resize), size);
}
