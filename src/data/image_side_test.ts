import assert from "node:assert/strict";
import type { ImageDataset } from "./dataset.ts";
import { cropPaddingFor, withImageSide } from "./image_side.ts";

function dataset(height: number, channels: number, pixels: number[]) {
  return {
    name: "toy",
    images: Uint8Array.from(pixels),
    labels: Uint8Array.from([3]),
    count: 1,
    height,
    width: height,
    channels,
    numClasses: 10,
    mean: [0.5],
    std: [0.25],
    classNames: [],
  } satisfies ImageDataset;
}

Deno.test("a 4-pixel image at side 2 is the rounded mean of each 2×2 block, channel by channel", () => {
  // Two channels, HWC: channel 0 counts up, channel 1 is 10 × (row + 1).
  const pixels: number[] = [];
  for (let y = 0; y < 4; y++) {
    for (let x = 0; x < 4; x++) pixels.push(y * 4 + x, 10 * (y + 1));
  }
  const small = withImageSide(dataset(4, 2, pixels), 2);
  assert.equal(small.height, 2);
  assert.equal(small.width, 2);
  // Block (0,0) of channel 0 holds 0,1,4,5: mean 2.5 rounds to 3.
  assert.deepEqual(Array.from(small.images), [3, 15, 5, 15, 11, 35, 13, 35]);
  assert.deepEqual(Array.from(small.labels), [3]);
});

Deno.test("the native side or none leaves the data set as it is", () => {
  const d = dataset(4, 1, Array.from({ length: 16 }, (_, i) => i));
  assert.equal(withImageSide(d, null), d);
  assert.equal(withImageSide(d, 4), d);
});

Deno.test("a side that does not divide the image's side names the flag and a side that works", () => {
  const d = dataset(4, 1, Array.from({ length: 16 }, (_, i) => i));
  assert.throws(
    () => withImageSide(d, 3),
    /--image-side must divide .*4-pixel side \(e\.g\. 2\), got 3/,
  );
  assert.throws(() => withImageSide(d, 0), /--image-side/);
});

Deno.test("crop padding is an eighth of the side: 4 at 32 pixels as in the reference, 2 at 16", () => {
  assert.equal(cropPaddingFor(32), 4);
  assert.equal(cropPaddingFor(16), 2);
  assert.equal(cropPaddingFor(28), 4);
});
