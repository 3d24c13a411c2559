/**
 * Seeded first-order search steps on a small network (C=4, 3 layers, K=4,
 * edge normalization, two 8x8 images a batch), for tests that compare two
 * ways of running the same steps bit for bit.
 */
import * as tf from "../tf.ts";
import { SearchNetwork } from "../space/search_network.ts";
import { searchStep } from "../search/search_step.ts";
import { searchOptimizers } from "../search/search.ts";
import { resolveSearchConfig } from "../search/search_config.ts";

/**
 * Weights and alphas after `steps` seeded search steps, as raw float bits;
 * `beforeStep(i)` runs before step `i`. Leaves no tensor behind.
 */
export async function seededSearchStepBits(
  steps: number,
  beforeStep: (step: number) => void = () => {},
): Promise<Uint32Array[]> {
  const network = new SearchNetwork({
    channels: 4,
    layers: 3,
    numClasses: 10,
    partialChannels: 4,
    edgeNormalization: true,
    seed: 3,
  });
  const { sgd, adam } = searchOptimizers(
    network,
    resolveSearchConfig("pcdarts", "paper"),
  );
  const batch = (seed: number) => ({
    images: tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", seed) as tf.Tensor4D,
    labels: tf.tensor1d([3, 7], "int32"),
  });
  const train = batch(1), valid = batch(2);
  for (let step = 0; step < steps; step++) {
    beforeStep(step);
    await searchStep(
      {
        network,
        adam,
        sgd,
        archLearningRate: 6e-4,
        secondOrder: false,
        weightLearningRate: 0.025,
        gradientClip: 5,
      },
      { architecture: valid, weights: train },
      `step ${step}`,
    );
  }
  const bits: Uint32Array[] = [];
  for (
    const v of [
      ...network.weightVariables(),
      ...network.architectureVariables(),
    ]
  ) {
    bits.push(
      new Uint32Array(((await v.data()) as Float32Array).slice().buffer),
    );
  }
  tf.dispose([train.images, train.labels, valid.images, valid.labels]);
  sgd.dispose();
  adam.dispose();
  network.dispose();
  return bits;
}
