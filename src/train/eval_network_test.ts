import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backends/init.ts";
import { EvalNetwork } from "./eval_network.ts";
import { BUILTIN_GENOTYPES, randomGenotype } from "./genotypes.ts";
import { dropPath } from "./drop_path.ts";
import { Random } from "../ops/random.ts";
import { validateSearchedCell } from "../space/genotype.ts";
import type { BatchStatistics } from "../space/parameters.ts";
import { crossEntropy } from "../space/search_network.ts";

await initBackend("cpu");

Deno.test("parameter counts equal the reference's exactly", () => {
  const expected: Record<string, [number, number]> = {
    PC_DARTS_cifar: [3634678, 335738],
    DARTS_V1: [3169414, 232890],
    DARTS_V2: [3349342, 246106],
  };
  for (const [name, [paper, small]] of Object.entries(expected)) {
    const big = new EvalNetwork({
      genotype: BUILTIN_GENOTYPES[name],
      channels: 36,
      layers: 20,
      numClasses: 10,
      auxiliary: true,
    });
    assert.equal(big.countParameters(), paper, `${name} C=36, 20 layers`);
    big.dispose();
    const little = new EvalNetwork({
      genotype: BUILTIN_GENOTYPES[name],
      channels: 16,
      layers: 8,
      numClasses: 10,
      auxiliary: false,
    });
    assert.equal(little.countParameters(), small, `${name} C=16, 8 layers`);
    little.dispose();
  }
});

Deno.test("drop-path keeps each path's expected value, is seeded, and is off in evaluation", () => {
  const x = tf.ones([4000, 1, 1, 2]) as tf.Tensor4D;
  const a = dropPath(x, 0.3, new Random(1));
  const b = dropPath(x, 0.3, new Random(1));
  const values = Array.from(a.dataSync());
  assert.deepEqual(values, Array.from(b.dataSync()));
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  assert.ok(Math.abs(mean - 1) < 0.05, `mean ${mean}`);
  const kept = values.filter((v) => v > 0).length / values.length;
  assert.ok(Math.abs(kept - 0.7) < 0.03, `kept ${kept}`);
  for (let i = 0; i < values.length; i += 2) {
    assert.equal(values[i], values[i + 1], "one mask per sample");
  }
  tf.dispose([x, a, b]);
  // In evaluation mode the network ignores the drop-path probability.
  const network = new EvalNetwork({
    genotype: BUILTIN_GENOTYPES.PC_DARTS_cifar,
    channels: 4,
    layers: 3,
    numClasses: 10,
    auxiliary: false,
  });
  const images = tf.randomNormal(
    [2, 16, 16, 3],
    0,
    1,
    "float32",
    4,
  ) as tf.Tensor4D;
  const [first, second] = [0, 1].map(() =>
    tf.tidy(() =>
      network.forward(images, { training: false, dropPathProbability: 0.9 })
        .logits.dataSync()
    )
  );
  assert.deepEqual(first, second);
  images.dispose();
  network.dispose();
});

Deno.test("a random genotype is valid and seeded", () => {
  const g = randomGenotype(5);
  assert.deepEqual(g, randomGenotype(5));
  assert.notDeepEqual(g, randomGenotype(6));
  for (const cell of [g.normal, g.reduce]) {
    assert.deepEqual(validateSearchedCell(cell), []);
  }
});

/**
 * One training pass of a small network with drop-path and the auxiliary
 * head: its loss, every gradient, the batch statistics it recorded, the
 * generator's state after it, and the pass's peak tensor bytes.
 */
async function trainingPass(recomputeCells: boolean) {
  const network = new EvalNetwork({
    genotype: BUILTIN_GENOTYPES.PC_DARTS_cifar,
    channels: 4,
    layers: 6,
    numClasses: 10,
    auxiliary: true,
    seed: 11,
    recomputeCells,
  });
  const images = tf.randomNormal(
    [4, 32, 32, 3],
    0,
    1,
    "float32",
    12,
  ) as tf.Tensor4D;
  const labels = tf.tensor1d([0, 3, 9, 1], "int32");
  const statistics: BatchStatistics[] = [];
  let loss = 0;
  let grads: Record<string, number[]> = {};
  const profile = await tf.profile(() => {
    const result = tf.variableGrads(() => {
      const out = network.forward(images, {
        training: true,
        batchStatistics: statistics,
        dropPathProbability: 0.3,
      });
      return tf.add(
        crossEntropy(out.logits, labels),
        tf.mul(crossEntropy(out.auxiliary!, labels), 0.4),
      ) as tf.Scalar;
    }, network.weightVariables());
    loss = result.value.dataSync()[0];
    grads = Object.fromEntries(
      Object.entries(result.grads).map((
        [k, g],
      ) => [k.replace(/^store\d+\//, ""), Array.from(g.dataSync())]),
    );
    tf.dispose([result.value, ...Object.values(result.grads)]);
  });
  const stats = statistics.map((
    s,
  ) => [s.name, Array.from(s.statistics.dataSync())]);
  tf.dispose(statistics.map((s) => s.statistics));
  const after = network.random.uniform();
  tf.dispose([images, labels]);
  network.dispose();
  return { loss, grads, stats, after, peak: profile.peakBytes };
}

Deno.test("recomputed cells give the plain pass's loss, gradients, drop-path masks and statistics, at a smaller peak", async () => {
  const plain = await trainingPass(false);
  const again = await trainingPass(true);
  assert.equal(again.loss, plain.loss, "the forward pass is the same ops");
  assert.equal(again.after, plain.after, "the generator ends where it did");
  assert.equal(again.stats.length, plain.stats.length, "statistics once each");
  for (let i = 0; i < plain.stats.length; i++) {
    assert.deepEqual(again.stats[i], plain.stats[i]);
  }
  assert.deepEqual(Object.keys(again.grads), Object.keys(plain.grads));
  for (const [name, g] of Object.entries(plain.grads)) {
    const r = again.grads[name];
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < g.length; i++) {
      scale = Math.max(scale, Math.abs(g[i]));
      worst = Math.max(worst, Math.abs(g[i] - r[i]));
    }
    // Replayed masks that differed would change gradients by their own size.
    assert.ok(worst <= 1e-5 * scale + 1e-9, `${name}: ${worst} of ${scale}`);
  }
  assert.ok(
    again.peak < plain.peak * 0.8,
    `peak ${again.peak} against ${plain.peak}`,
  );
});
