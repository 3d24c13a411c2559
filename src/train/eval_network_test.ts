import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend } from "../backends/init.ts";
import { EvalNetwork } from "./eval_network.ts";
import { BUILTIN_GENOTYPES, randomGenotype } from "./genotypes.ts";
import { dropPath } from "./drop_path.ts";
import { Random } from "../ops/random.ts";
import { validateSearchedCell } from "../space/genotype.ts";

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
