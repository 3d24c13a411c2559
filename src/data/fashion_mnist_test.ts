import assert from "node:assert/strict";
import {
  loadFashionMnist,
  parseIdxImages,
  parseIdxLabels,
} from "./fashion_mnist.ts";

const fixtureDir = new URL("../../fixtures/data", import.meta.url).pathname;

Deno.test("Fashion-MNIST loads from gzipped IDX files", async () => {
  const train = await loadFashionMnist(fixtureDir, "train");
  assert.equal(train.count, 30);
  assert.equal(train.height, 28);
  assert.equal(train.channels, 1);
  assert.equal(train.labels[3], 4);
  const test = await loadFashionMnist(fixtureDir, "test");
  assert.equal(test.count, 10);
});

Deno.test("IDX headers are checked: magic numbers, counts, labels", () => {
  const images = new Uint8Array(16 + 2 * 4);
  const view = new DataView(images.buffer);
  view.setUint32(0, 2049);
  assert.throws(
    () => parseIdxImages(images, "x.gz"),
    /x\.gz: wrong magic number 2049, expected 2051/,
  );
  view.setUint32(0, 2051);
  view.setUint32(4, 3);
  view.setUint32(8, 2);
  view.setUint32(12, 2);
  assert.throws(
    () => parseIdxImages(images, "x.gz"),
    /header says 3 images of 2x2/,
  );
  const labels = new Uint8Array([0, 0, 8, 1, 0, 0, 0, 2, 3, 11]);
  assert.throws(
    () => parseIdxLabels(labels, "y.gz"),
    /label 11 at index 1 is outside 0\.\.9/,
  );
});

Deno.test({
  name: "Debian's Fashion-MNIST loads when installed",
  ignore: (() => {
    try {
      return !Deno.statSync(
        "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz",
      ).isFile;
    } catch {
      return true;
    }
  })(),
  async fn() {
    const train = await loadFashionMnist("/nonexistent", "train");
    assert.equal(train.count, 60000);
  },
});
