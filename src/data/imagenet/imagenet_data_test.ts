import assert from "node:assert/strict";
import { join } from "node:path";
import { writeJpegTree } from "../../testing/jpeg_tree.ts";
import { JpegDecoder, turboJpegAvailable } from "../jpeg/turbojpeg.ts";
import { ImageNetBatches } from "./imagenet_batches.ts";
import { readImageFolder, readImageNet } from "./image_folder.ts";
import {
  readSubsetManifest,
  sampleSearchSubsets,
  writeSubsetManifest,
} from "./search_subsets.ts";

const ignore = !turboJpegAvailable();

Deno.test({
  name:
    "an ImageNet-layout folder reads as sorted classes and labelled images, grayscale and CMYK among them",
  ignore,
  async fn() {
    const root = await Deno.makeTempDir();
    try {
      const tree = writeJpegTree(root, { classes: 3, perClass: 6 });
      const { train, val } = readImageNet(root);
      assert.deepEqual(train.classes, [...tree.classes].sort());
      assert.equal(train.images.length, 3 * 6 + 2);
      assert.equal(val.images.length, 3 * 2);
      for (const image of train.images) {
        assert.ok(
          image.path.startsWith(`train/${train.classes[image.label]}/`),
        );
      }
      const decoder = new JpegDecoder();
      try {
        for (const image of [...train.images, ...val.images]) {
          const decoded = decoder.decode(
            await Deno.readFile(join(root, image.path)),
          );
          assert.equal(
            decoded.pixels.length,
            decoded.width * decoded.height * 3,
          );
        }
      } finally {
        decoder.close();
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name: "a folder off ILSVRC's layout is refused with what was expected",
  ignore,
  async fn() {
    const root = await Deno.makeTempDir();
    try {
      assert.throws(
        () => readImageFolder(root, "train"),
        /train does not exist; expected ILSVRC-2012's layout: ROOT\/train\/<wnid>\/\*\.JPEG/,
      );
      writeJpegTree(root, { classes: 2, perClass: 2 });
      // A validation set unpacked flat.
      const first = readImageFolder(root, "val").images[0].path;
      Deno.copyFileSync(
        join(root, first),
        join(root, "val", "ILSVRC2012_val_00000001.JPEG"),
      );
      assert.throws(
        () => readImageFolder(root, "val"),
        /holds 1 images directly \(ILSVRC2012_val_00000001\.JPEG, \.\.\.\), not in class folders/,
      );
      Deno.removeSync(join(root, "val", "ILSVRC2012_val_00000001.JPEG"));
      Deno.mkdirSync(join(root, "val", "n09999999"));
      assert.throws(
        () => readImageFolder(root, "val"),
        /n09999999 has no \.JPEG images/,
      );
      Deno.writeFileSync(
        join(root, "val", "n09999999", "x.JPEG"),
        new Uint8Array(1),
      );
      assert.throws(
        () => readImageNet(root),
        /train and val name different classes \(only in train: none; only in val: n09999999\)/,
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "the search subsets take 10 % and 2.5 % of each class, disjoint, from a seed, and their manifest reads back",
  ignore,
  async fn() {
    const root = await Deno.makeTempDir();
    try {
      writeJpegTree(root, { classes: 2, perClass: 40, valPerClass: 1 });
      const train = readImageFolder(root, "train");
      const a = sampleSearchSubsets(train, 3);
      const b = sampleSearchSubsets(train, 3);
      const c = sampleSearchSubsets(train, 4);
      assert.deepEqual(a, b);
      assert.notDeepEqual(a, c);
      // Class 0 holds 42 images (grayscale and CMYK too), class 1 40.
      const count = (list: { label: number }[], label: number) =>
        list.filter((i) => i.label === label).length;
      assert.deepEqual(
        [count(a.weights, 0), count(a.weights, 1)],
        [4, 4],
      );
      assert.deepEqual(
        [count(a.architecture, 0), count(a.architecture, 1)],
        [1, 1],
      );
      const weightPaths = new Set(a.weights.map((i) => i.path));
      assert.ok(a.architecture.every((i) => !weightPaths.has(i.path)));
      const manifest = join(root, "subsets.csv");
      await writeSubsetManifest(manifest, train, a);
      assert.deepEqual(await readSubsetManifest(manifest, train), a);
      const text = await Deno.readTextFile(manifest);
      await Deno.writeTextFile(
        manifest,
        text.replace(/train\/[^,\n]*\.JPEG\n/, "train/elsewhere.JPEG\n"),
      );
      await assert.rejects(
        () => readSubsetManifest(manifest, train),
        /subsets\.csv line \d+ .* does not name an image of/,
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});

Deno.test("a class too small for both subsets is named", () => {
  const folder = {
    root: "r",
    split: "train",
    classes: ["n1"],
    images: [{ path: "train/n1/a.JPEG", label: 0 }],
  };
  assert.throws(
    () => sampleSearchSubsets(folder, 1),
    /class n1 has 1 images, too few/,
  );
});

Deno.test({
  name:
    "batches decoded in the worker beside the step equal those decoded on the calling thread, and depend only on seed, epoch and index",
  ignore,
  async fn() {
    const root = await Deno.makeTempDir();
    try {
      writeJpegTree(root, { classes: 2, perClass: 5, damaged: true });
      const train = readImageFolder(root, "train");
      const options = {
        batchSize: 4,
        seed: 7,
        stream: 0,
        augment: true,
        side: 24,
        warn: () => {},
      };
      const inWorker = new ImageNetBatches(root, train.images, options);
      const here = new ImageNetBatches(root, train.images, {
        ...options,
        worker: false,
      });
      try {
        // Out of order and repeated: each batch is the same either way.
        for (const [epoch, index] of [[0, 0], [0, 1], [1, 2], [0, 1], [0, 0]]) {
          const a = await inWorker.batch(epoch, index);
          const b = await here.batch(epoch, index);
          assert.deepEqual(a.labels, b.labels);
          assert.deepEqual(a.images, b.images);
          assert.equal(a.images.length, a.size * 24 * 24 * 3);
        }
        assert.notDeepEqual(
          (await here.batch(0, 0)).images,
          (await here.batch(1, 0)).images,
        );
      } finally {
        inWorker.close();
        here.close();
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
