import assert from "node:assert/strict";
import {
  BatchLoader,
  NO_AUGMENTATION,
  SEARCH_AUGMENTATION,
  TRAIN_AUGMENTATION,
} from "./batches.ts";
import type { ImageDataset } from "./dataset.ts";

function synthetic(count: number): ImageDataset {
  const images = new Uint8Array(count * 4 * 4 * 3);
  for (let i = 0; i < images.length; i++) images[i] = (i * 31) % 256;
  return {
    name: "synthetic",
    images,
    labels: Uint8Array.from({ length: count }, (_, i) => i % 10),
    count,
    height: 4,
    width: 4,
    channels: 3,
    numClasses: 10,
    mean: [0.5, 0.4, 0.3],
    std: [0.2, 0.25, 0.5],
    classNames: [],
  };
}

Deno.test("same seed and epoch give identical batches; another epoch another order", () => {
  const data = synthetic(50);
  const indices = Array.from({ length: 50 }, (_, i) => i);
  const make = () =>
    new BatchLoader(data, indices, {
      batchSize: 8,
      seed: 3,
      augment: TRAIN_AUGMENTATION,
    });
  const a = [...make().epoch(2)];
  const b = [...make().epoch(2)];
  assert.equal(a.length, 7);
  assert.equal(a.at(-1)!.size, 2);
  assert.deepEqual(a, b);
  const c = make();
  assert.notDeepEqual(Array.from(c.order(2)), Array.from(c.order(3)));
  assert.deepEqual([...c.order(3)].sort((x, y) => x - y), indices);
  // Random access equals iteration: a resumed run sees the same batch.
  assert.deepEqual(make().batch(2, 5), a[5]);
});

Deno.test("normalization uses the data set's mean and std, HWC order", () => {
  const data = synthetic(1);
  const [batch] = [
    ...new BatchLoader(data, [0], {
      batchSize: 1,
      seed: 0,
      augment: NO_AUGMENTATION,
    }).epoch(0),
  ];
  for (let i = 0; i < 48; i++) {
    const c = i % 3;
    const expected = (data.images[i] / 255 - data.mean[c]) / data.std[c];
    assert.ok(Math.abs(batch.images[i] - expected) < 1e-6);
  }
});

Deno.test("crop and flip move pixels, padding reads as black; cutout zeroes a square", () => {
  const data = synthetic(1);
  const loader = new BatchLoader(data, [0], {
    batchSize: 1,
    seed: 0,
    augment: SEARCH_AUGMENTATION,
  });
  const plain =
    new BatchLoader(data, [0], { batchSize: 1, seed: 0 }).batch(0, 0).images;
  const black = data.mean.map((m, c) => Math.fround(-m / data.std[c]));
  let sawShift = false;
  for (let epoch = 0; epoch < 20; epoch++) {
    const out = loader.batch(epoch, 0).images;
    // Every output pixel is either a source pixel's value or black padding.
    for (let i = 0; i < out.length; i++) {
      const c = i % 3;
      const values = new Set<number>([black[c]]);
      for (let j = c; j < plain.length; j += 3) values.add(plain[j]);
      assert.ok(values.has(out[i]));
    }
    if (out.some((v, i) => v !== plain[i])) sawShift = true;
  }
  assert.ok(sawShift);
  const cut = new BatchLoader(data, [0], {
    batchSize: 1,
    seed: 0,
    augment: { cropPadding: 0, flip: false, cutout: 2 },
  }).batch(0, 0).images;
  const zeros = cut.filter((v) => v === 0).length;
  assert.ok(zeros >= 3 && zeros <= 12, `cutout zeroed ${zeros} values`);
});
