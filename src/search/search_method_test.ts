import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backends/init.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { resolveSearchConfig } from "./search_config.ts";
import { SEARCH_METHODS, searchMethod } from "./search_methods.ts";
import { searchOptimizers } from "./search.ts";

/** Architecture parameters after one step of `name` from the same start. */
async function alphasAfterOneStep(name: "darts1" | "darts2") {
  const method = searchMethod(name);
  const config = resolveSearchConfig(name, "smoke", { seed: 5 });
  const data = { numClasses: 10, channels: 3 } as ImageDataset;
  const network = method.buildSpace(config, data);
  const { sgd, adam } = searchOptimizers(network, config);
  const batch = (seed: number) => ({
    images: tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", seed) as tf.Tensor4D,
    labels: tf.tensor1d([1, 6], "int32"),
  });
  const train = batch(1), valid = batch(2);
  try {
    await method.step({
      step: {
        network,
        adam,
        sgd,
        archLearningRate: 0.1,
        weightLearningRate: 0.1,
        gradientClip: 5,
      },
      batches: { architecture: valid, weights: train },
      where: "step 0",
      keepLogits: false,
      at: { epoch: 0, step: 0, seed: 5 },
    });
    const genotype = await method.deriveGenotype(network, {
      epoch: 0,
      seed: 5,
      validationBatches: () => Promise.resolve([]),
    });
    assert.equal(genotype.normal.length, 8);
    return Array.from(await network.architectureVariables()[0].data());
  } finally {
    tf.dispose([train.images, train.labels, valid.images, valid.labels]);
    sgd.dispose();
    adam.dispose();
    network.dispose();
  }
}

Deno.test("every search method is registered under its own name, with the reference protocols", () => {
  assert.deepEqual(SEARCH_METHODS.slice(0, 3), ["pcdarts", "darts1", "darts2"]);
  for (const name of SEARCH_METHODS) {
    assert.equal(searchMethod(name).name, name);
  }
  assert.throws(
    () => searchMethod("enas"),
    /unknown method "enas"; choose pcdarts, darts1, darts2/,
  );
  const pc = resolveSearchConfig("pcdarts", "paper");
  assert.deepEqual(
    [
      pc.partialChannels,
      pc.edgeNormalization,
      pc.batchSize,
      pc.warmupEpochs,
      pc.learningRate,
      pc.archLearningRate,
      pc.secondOrder,
    ],
    [4, true, 256, 15, 0.1, 6e-4, false],
  );
  const d2 = resolveSearchConfig("darts2", "paper");
  assert.deepEqual(
    [
      d2.partialChannels,
      d2.edgeNormalization,
      d2.batchSize,
      d2.warmupEpochs,
      d2.learningRate,
      d2.learningRateMin,
      d2.secondOrder,
    ],
    [1, false, 64, 0, 0.025, 0.001, true],
  );
});

Deno.test("darts2's step is the unrolled one: from the same start its architecture update differs from darts1's", async () => {
  await initBackend("cpu");
  const before = tf.memory().numTensors;
  const first = await alphasAfterOneStep("darts1");
  const second = await alphasAfterOneStep("darts2");
  assert.equal(first.length, second.length);
  const largest = Math.max(...first.map((v, i) => Math.abs(v - second[i])));
  assert.ok(largest > 1e-6, `largest alpha difference ${largest}`);
  assert.equal(tf.memory().numTensors, before, "no tensor leaks");
});
