import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { initBackend } from "../../backends/init.ts";
import { loadCifar10 } from "../../data/cifar10.ts";
import { Random } from "../../ops/random.ts";
import { PRIMITIVES } from "../../space/primitives.ts";
import { SearchNetwork } from "../../space/search_network.ts";
import { resolveSearchConfig } from "../search_config.ts";
import { runSearch } from "../search.ts";
import { SEARCH_METHODS } from "../search_methods.ts";
import {
  oneHotAlphas,
  sampleArchitecture,
  type SampledCell,
  setArchitecture,
} from "./random_ws.ts";

const fixtureDir = new URL("../../../fixtures/data", import.meta.url).pathname;

/** The (input, op) pairs of each node of a sampled cell. */
function nodesOf(cell: SampledCell, steps: number): [number, string][][] {
  const nodes: [number, string][][] = [];
  let start = 0;
  for (let node = 0; node < steps; node++) {
    const chosen: [number, string][] = [];
    for (let j = 0; j < node + 2; j++) {
      if (cell[start + j] >= 0) chosen.push([j, PRIMITIVES[cell[start + j]]]);
    }
    nodes.push(chosen);
    start += node + 2;
  }
  return nodes;
}

Deno.test("random_ws is registered beside the differentiable methods", () => {
  assert.ok(SEARCH_METHODS.includes("random_ws"));
  const c = resolveSearchConfig("random_ws", "paper");
  assert.equal(c.partialChannels, 1);
  assert.equal(c.edgeNormalization, false);
});

Deno.test("a sampled cell has two distinct inputs per node, each with an op other than none, drawn uniformly", () => {
  const random = new Random(7);
  const counts = new Map<string, number>();
  const inputCounts = [0, 0, 0, 0, 0];
  const draws = 4000;
  for (let i = 0; i < draws; i++) {
    const nodes = nodesOf(sampleArchitecture(random, 4).normal, 4);
    nodes.forEach((chosen, node) => {
      assert.equal(chosen.length, 2, `node ${node}: ${chosen}`);
      for (const [j, op] of chosen) {
        assert.ok(j < node + 2);
        assert.notEqual(op, "none");
        counts.set(op, (counts.get(op) ?? 0) + 1);
        if (node === 3) inputCounts[j]++;
      }
    });
  }
  // 7 ops over 8 edges a draw: each near 1/7 of them.
  for (const op of PRIMITIVES.slice(1)) {
    const share = counts.get(op)! / (draws * 8);
    assert.ok(Math.abs(share - 1 / 7) < 0.01, `${op}: ${share}`);
  }
  // The last node picks 2 of its 5 inputs: each with probability 2/5.
  for (const n of inputCounts) {
    assert.ok(Math.abs(n / draws - 0.4) < 0.03, `${inputCounts}`);
  }
  // Seeded: the same seed draws the same cells.
  assert.deepEqual(
    sampleArchitecture(new Random(3), 4),
    sampleArchitecture(new Random(3), 4),
  );
});

Deno.test("the one-hot alphas of a sampled cell weigh exactly its ops, and the network's genotype is that cell", async () => {
  await initBackend("cpu");
  const before = tf.memory().numTensors;
  const arch = sampleArchitecture(new Random(11), 4);
  const alphas = oneHotAlphas(arch.normal);
  const weights = tf.tidy(() =>
    tf.softmax(tf.tensor2d(alphas, [14, PRIMITIVES.length])).arraySync()
  ) as number[][];
  weights.forEach((row, e) => {
    const hot = arch.normal[e] < 0 ? 0 : arch.normal[e];
    row.forEach((w, k) => assert.equal(w, k === hot ? 1 : 0));
  });
  const network = new SearchNetwork({
    channels: 4,
    layers: 2,
    numClasses: 10,
    partialChannels: 1,
    edgeNormalization: false,
    seed: 1,
  });
  try {
    setArchitecture(network, arch);
    const genotype = await network.genotype();
    const expected = nodesOf(arch.normal, 4).map((chosen) =>
      chosen.map(([j, op]) => `${op}@${j}`).sort()
    );
    const got = [0, 1, 2, 3].map((node) =>
      genotype.normal.slice(2 * node, 2 * node + 2).map(([op, j]) =>
        `${op}@${j}`
      )
        .sort()
    );
    assert.deepEqual(got, expected);
  } finally {
    network.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});

Deno.test("a random_ws search ends with a valid cell, takes no architecture step, and repeats from its seed", async () => {
  await initBackend("wasm");
  const data = await loadCifar10(fixtureDir, "train", { verify: false });
  const config = resolveSearchConfig("random_ws", "smoke", {
    subset: null,
    batchSize: 25,
    epochs: 1,
    layers: 2,
    imageSide: 8,
    seed: 4,
  });
  const run = async () => {
    const outDir = await Deno.makeTempDir();
    try {
      return await runSearch({ config, trainData: data, outDir });
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  };
  const before = tf.memory().numTensors;
  const first = await run();
  assert.equal(tf.memory().numTensors, before);
  for (const row of first.history) assert.equal(row.arch_loss, null);
  for (const cell of [first.genotype.normal, first.genotype.reduce]) {
    assert.equal(cell.length, 8);
    for (let node = 0; node < 4; node++) {
      const [a, b] = cell.slice(2 * node, 2 * node + 2);
      assert.notEqual(a[1], b[1], "two distinct inputs");
      assert.ok(a[1] < node + 2 && b[1] < node + 2);
      assert.ok(a[0] !== "none" && b[0] !== "none");
    }
  }
  const second = await run();
  assert.deepEqual(second.genotype, first.genotype);
  assert.deepEqual(
    second.history.map((r) => [r.train_loss, r.valid_loss, r.genotype]),
    first.history.map((r) => [r.train_loss, r.valid_loss, r.genotype]),
  );
});

Deno.test("scoring a sampled cell through its path alone gives the one-hot architecture's logits", async () => {
  await initBackend("wasm");
  const before = tf.memory().numTensors;
  const network = new SearchNetwork({
    channels: 4,
    layers: 3,
    numClasses: 10,
    partialChannels: 1,
    edgeNormalization: false,
    seed: 2,
  });
  const images = tf.randomNormal(
    [3, 12, 12, 3],
    0,
    1,
    "float32",
    5,
  ) as tf.Tensor4D;
  try {
    for (const seed of [1, 2, 3]) {
      const arch = sampleArchitecture(new Random(seed), 4);
      setArchitecture(network, arch);
      for (const training of [false, true]) {
        const full = tf.tidy(() => network.forward(images, { training }));
        const path = tf.tidy(() =>
          network.forwardPath(images, arch, { training })
        );
        const [a, b] = [await full.data(), await path.data()];
        tf.dispose([full, path]);
        for (let i = 0; i < a.length; i++) {
          assert.ok(
            Math.abs(a[i] - b[i]) <= 1e-5 * (1 + Math.abs(a[i])),
            `seed ${seed}, training ${training}: ${a[i]} vs ${b[i]}`,
          );
        }
      }
    }
  } finally {
    images.dispose();
    network.dispose();
  }
  assert.equal(tf.memory().numTensors, before);
});
