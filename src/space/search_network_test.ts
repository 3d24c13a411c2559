import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import {
  crossEntropy,
  edgeNormalization,
  SearchNetwork,
} from "./search_network.ts";
import { onEachBackend } from "../testing/backends.ts";

function step(
  network: SearchNetwork,
  images: tf.Tensor4D,
  labels: tf.Tensor1D,
) {
  const { value, grads } = tf.variableGrads(
    () => crossEntropy(network.forward(images, { training: true }), labels),
    [...network.weightVariables(), ...network.architectureVariables()],
  );
  tf.dispose([value, ...Object.values(grads)]);
}

Deno.test("a forward+backward pass leaks no tensors (1 vs 5 passes)", async (t) => {
  await onEachBackend(t, () => {
    const network = new SearchNetwork({
      channels: 8,
      layers: 3,
      numClasses: 10,
      partialChannels: 4,
      edgeNormalization: true,
    });
    const images = tf.randomNormal(
      [2, 8, 8, 3],
      0,
      1,
      "float32",
      1,
    ) as tf.Tensor4D;
    const labels = tf.tensor1d([1, 7], "int32");
    step(network, images, labels);
    const afterOne = tf.memory().numTensors;
    for (let i = 0; i < 4; i++) step(network, images, labels);
    assert.equal(tf.memory().numTensors, afterOne);
    tf.dispose([images, labels]);
    network.dispose();
  }, ["cpu", "wasm"]);
});

Deno.test("channels not divisible by K are a clear error", () => {
  assert.throws(
    () =>
      new SearchNetwork({
        channels: 6,
        layers: 3,
        numClasses: 10,
        partialChannels: 4,
        edgeNormalization: true,
      }),
    /not divisible by K=4/,
  );
});

Deno.test("edge normalization is a softmax per node over its own edges", async (t) => {
  await onEachBackend(t, async () => {
    const betas = tf.tensor1d(
      Array.from({ length: 14 }, (_, i) => Math.sin(i)),
    );
    const weights = tf.tidy(() => edgeNormalization(betas, 4));
    const w = await weights.data();
    const sums = [[0, 2], [2, 5], [5, 9], [9, 14]].map(([a, b]) =>
      Array.from(w.slice(a, b)).reduce((s: number, v: number) => s + v, 0)
    );
    for (const s of sums) assert.ok(Math.abs(s - 1) < 1e-6);
    // Within node 1 (edges 2..4) the ratio is exp(beta difference).
    assert.ok(
      Math.abs(w[3] / w[2] - Math.exp(Math.sin(3) - Math.sin(2))) < 1e-5,
    );
    tf.dispose([betas, weights]);
  }, ["cpu"]);
});

Deno.test("the same seed gives the same initial weights and alphas", async () => {
  const { initBackend } = await import("../backend.ts");
  await initBackend("cpu");
  const make = (seed: number) =>
    new SearchNetwork({
      channels: 4,
      layers: 2,
      numClasses: 3,
      partialChannels: 2,
      edgeNormalization: true,
      seed,
    });
  const [a, b, c] = [make(5), make(5), make(6)];
  const first = (n: SearchNetwork) =>
    n.architecture.alphasNormal.dataSync().slice(0, 5);
  assert.deepEqual(first(a), first(b));
  assert.notDeepEqual(first(a), first(c));
  a.dispose();
  b.dispose();
  c.dispose();
});
