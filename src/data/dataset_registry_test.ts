import assert from "node:assert/strict";
import {
  datasetChoicesText,
  datasetEntry,
  datasetNames,
  DATASETS,
  loadSplit,
  loadTrainAndTest,
} from "./dataset_registry.ts";
import { resolveDataDir } from "./data_dir.ts";
import { findCifar10Folder } from "./cifar10.ts";

Deno.test("dataset registry: names per use, and errors that name the flag and the choices", () => {
  assert.deepEqual(datasetNames("search"), [
    "cifar10",
    "fashion-mnist",
    "imagenet",
  ]);
  assert.deepEqual(datasetNames("train"), ["cifar10", "imagenet"]);
  assert.equal(datasetChoicesText("download"), "cifar10 or fashion-mnist");
  assert.equal(datasetEntry("imagenet", "train").classes, 1000);
  assert.equal(datasetEntry("imagenet", "train").top5, true);
  assert.equal(datasetEntry("cifar10", "search").side, 32);
  assert.throws(
    () => datasetEntry("mnist", "search", "the first argument"),
    /the first argument: unknown data set "mnist"; choose cifar10, fashion-mnist or imagenet/,
  );
  assert.throws(
    () => datasetEntry("fashion-mnist", "train", "--dataset"),
    /--dataset: "fashion-mnist" cannot be used to train; choose cifar10 or imagenet/,
  );
  assert.throws(
    () => datasetEntry(undefined, "search"),
    /none given; choose cifar10, fashion-mnist or imagenet/,
  );
  // Every entry offering a download can also verify, and every in-memory
  // entry loads: the commands rely on both.
  for (const d of DATASETS) {
    assert.equal(d.uses.includes("download"), d.download !== undefined);
    assert.equal(d.uses.includes("download"), d.verify !== undefined);
  }
  assert.throws(
    () =>
      loadSplit(datasetEntry("imagenet", "search"), "/x", "train", {
        verify: false,
      }),
    /imagenet is read from files batch by batch/,
  );
});

const cifar = findCifar10Folder(resolveDataDir(undefined));

Deno.test({
  name: "dataset registry: cifar10 loads both splits through its entry",
  ignore: cifar === null,
  async fn() {
    const { train, test } = await loadTrainAndTest(
      "cifar10",
      resolveDataDir(undefined),
      { verify: false },
    );
    assert.equal(train.count, 50000);
    assert.equal(test.count, 10000);
    assert.equal(train.numClasses, datasetEntry("cifar10", "train").classes);
    assert.equal(train.height, datasetEntry("cifar10", "train").side);
  },
});
