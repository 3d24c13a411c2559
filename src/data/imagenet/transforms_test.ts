import assert from "node:assert/strict";
import { Random } from "../../ops/random.ts";
import type { RgbImage } from "../jpeg/turbojpeg.ts";
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  centerCrop,
  flipHorizontal,
  randomResizedCropBox,
  resizeRegion,
  resizeShorter,
  trainTransform,
  validationTransform,
} from "./transforms.ts";

function image(
  width: number,
  height: number,
  f: (x: number, y: number, c: number) => number,
): RgbImage {
  const pixels = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) pixels[(y * width + x) * 3 + c] = f(x, y, c);
    }
  }
  return { width, height, pixels };
}

Deno.test("resizing keeps a constant image constant, is the identity at the same size, and averages when halving", () => {
  const flat = image(37, 23, (_x, _y, c) => 40 + 50 * c);
  const small = resizeRegion(flat, 0, 0, 37, 23, 11, 7);
  assert.ok(small.pixels.every((v, i) => v === 40 + 50 * (i % 3)));
  const ramp = image(16, 9, (x, y, c) => x * 10 + y + c);
  assert.deepEqual(resizeRegion(ramp, 0, 0, 16, 9, 16, 9).pixels, ramp.pixels);
  // A checkerboard halved: PIL's filter, a triangle widened to 4 inputs
  // (1/8, 3/8, 3/8, 1/8), averages it to grey away from the border, where
  // the window is cut and renormalized.
  const checker = image(8, 8, (x, y) => (x + y) % 2 === 0 ? 0 : 254);
  const half = resizeRegion(checker, 0, 0, 8, 8, 4, 4);
  for (let y = 1; y < 3; y++) {
    for (let x = 1; x < 3; x++) {
      assert.equal(half.pixels[(y * 4 + x) * 3], 127, `${half.pixels}`);
    }
  }
});

Deno.test("the validation transform: the shorter side to 256, then the centre 224", () => {
  const wide = image(400, 300, (x) => x % 256);
  const r = resizeShorter(wide, 256);
  assert.deepEqual([r.width, r.height], [341, 256]);
  const tall = resizeShorter(image(300, 500, () => 9), 256);
  assert.deepEqual([tall.width, tall.height], [256, 426]);
  const v = validationTransform(wide);
  assert.deepEqual([v.width, v.height], [224, 224]);
  const c = centerCrop(image(10, 8, (x, y) => x * 10 + y), 4);
  // Offsets round((10 - 4) / 2) = 3 and round((8 - 4) / 2) = 2.
  assert.equal(c.pixels[0], 3 * 10 + 2);
  assert.throws(() => centerCrop(image(3, 3, () => 0), 4), /no 4x4 centre/);
});

Deno.test("random-resized crop boxes lie inside the image, with 8-100 % of its area and a ratio within 3/4 to 4/3, and repeat from a seed", () => {
  const random = new Random(5);
  let fallbacks = 0;
  for (let i = 0; i < 2000; i++) {
    const [w, h] = [50 + (i % 400), 60 + ((i * 7) % 300)];
    const box = randomResizedCropBox(w, h, random);
    assert.ok(box.top >= 0 && box.left >= 0);
    assert.ok(box.top + box.height <= h && box.left + box.width <= w);
    const area = (box.width * box.height) / (w * h);
    const ratio = box.width / box.height;
    if (area > 0.999) fallbacks++;
    assert.ok(area >= 0.07 && area <= 1.0001, `${area}`);
    assert.ok(ratio >= 0.7 && ratio <= 1.45, `${ratio}`);
  }
  assert.ok(fallbacks < 100, `${fallbacks} whole-image crops`);
  // A very wide image falls back to a centre crop at the largest ratio.
  const box = randomResizedCropBox(1000, 10, new Random(1), [0.99, 1]);
  assert.deepEqual(box, { top: 0, left: 493, height: 10, width: 13 });
  assert.deepEqual(
    randomResizedCropBox(300, 200, new Random(9)),
    randomResizedCropBox(300, 200, new Random(9)),
  );
});

Deno.test("flips mirror; colour adjustments at factor 1 change nothing; brightness, contrast and saturation move as defined", () => {
  const img = image(5, 4, (x, y, c) => 20 * x + 10 * y + 3 * c);
  assert.deepEqual(flipHorizontal(flipHorizontal(img)).pixels, img.pixels);
  assert.equal(flipHorizontal(img).pixels[0], img.pixels[4 * 3]);
  for (const adjust of [adjustBrightness, adjustContrast, adjustSaturation]) {
    const copy = img.pixels.slice();
    adjust(copy, 1);
    assert.deepEqual(copy, img.pixels);
  }
  const bright = new Uint8Array([100, 50, 200]);
  adjustBrightness(bright, 1.4);
  assert.deepEqual([...bright], [140, 70, 255]);
  const grey = new Uint8Array([100, 50, 200]);
  adjustSaturation(grey, 0);
  // PIL's luma: (299·100 + 587·50 + 114·200) / 1000 = 82.15.
  assert.deepEqual([...grey], [82, 82, 82]);
  const flat = new Uint8Array([10, 10, 10, 250, 250, 250]);
  adjustContrast(flat, 0);
  assert.deepEqual([...flat], [130, 130, 130, 130, 130, 130]);
});

Deno.test("a hue shift turns red toward green by a third of the circle, leaves grey alone, and a zero shift moves nothing by more than rounding", () => {
  const px = new Uint8Array([255, 0, 0, 90, 90, 90]);
  adjustHue(px, 1 / 3);
  assert.ok(px[1] > 240 && px[0] < 15 && px[2] < 15, `${px}`);
  assert.deepEqual([...px.slice(3)], [90, 90, 90]);
  const random = new Random(2);
  const colours = new Uint8Array(3000).map(() => random.int(256));
  const shifted = colours.slice();
  adjustHue(shifted, 0);
  for (let i = 0; i < colours.length; i++) {
    assert.ok(Math.abs(shifted[i] - colours[i]) <= 3, `${i}`);
  }
});

Deno.test("the training transform gives size x size from any image, repeatably from its seed", () => {
  const img = image(120, 80, (x, y, c) => (x * 2 + y + c * 40) % 256);
  const a = trainTransform(img, new Random(7), 32);
  const b = trainTransform(img, new Random(7), 32);
  assert.deepEqual([a.width, a.height], [32, 32]);
  assert.deepEqual(a.pixels, b.pixels);
  assert.notDeepEqual(trainTransform(img, new Random(8), 32).pixels, a.pixels);
});
