import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { initBackend, probeWebGpu } from "../backends/init.ts";
import { measureSearchStep } from "../bench/step_measurement.ts";
import { loadCifar10 } from "../data/cifar10.ts";
import { parseSafetensors } from "../io/safetensors.ts";

const ARCH_NAMES = [
  "alphas_normal",
  "alphas_reduce",
  "betas_normal",
  "betas_reduce",
];
import { resolveSearchConfig } from "./search_config.ts";
import {
  buildSearchNetwork,
  NonFiniteLossError,
  RUN_FILES,
  runSearch,
  searchOptimizers,
} from "./search.ts";
import { architectureStep } from "./architect.ts";

const fixtureDir = new URL("../../fixtures/data", import.meta.url).pathname;
const data = await loadCifar10(fixtureDir, "train", { verify: false });

function tinyConfig(overrides = {}) {
  return resolveSearchConfig("pcdarts", "smoke", {
    subset: null,
    batchSize: 25,
    epochs: 3,
    warmupEpochs: 2,
    layers: 2,
    ...overrides,
  });
}

Deno.test("architecture parameters do not change during warm-up epochs and do after", async () => {
  await initBackend("wasm");
  const config = tinyConfig();
  const initial = buildSearchNetwork(config, data);
  const start = initial.architectureVariables().map((v) =>
    Array.from(v.dataSync())
  );
  initial.dispose();
  const outDir = await Deno.makeTempDir();
  const afterEpoch: number[][][] = [];
  await runSearch({
    config,
    trainData: data,
    outDir,
    callbacks: {
      onEpochEnd: () => {
        const bytes = Deno.readFileSync(`${outDir}/${RUN_FILES.architecture}`);
        const file = parseSafetensors(bytes);
        afterEpoch.push(
          ARCH_NAMES.map((n) => Array.from(file.tensors.get(n)!.data)),
        );
      },
    },
  });
  assert.equal(afterEpoch.length, 3);
  assert.deepEqual(
    afterEpoch[0],
    start,
    "warm-up epoch 1 leaves the architecture alone",
  );
  assert.deepEqual(
    afterEpoch[1],
    start,
    "warm-up epoch 2 leaves the architecture alone",
  );
  assert.notDeepEqual(afterEpoch[2], start, "epoch 3 searches");
  await Deno.remove(outDir, { recursive: true });
});

Deno.test("a NaN loss stops the run naming epoch and step; the last checkpoint stays", async () => {
  await initBackend("wasm");
  const outDir = await Deno.makeTempDir();
  await runSearch({
    config: tinyConfig({ epochs: 1, warmupEpochs: 0 }),
    trainData: data,
    outDir,
  });
  const before = await Deno.readFile(`${outDir}/${RUN_FILES.checkpoint}`);
  await assert.rejects(
    runSearch({
      config: tinyConfig({ epochs: 2, warmupEpochs: 0, learningRate: 1e38 }),
      trainData: data,
      outDir,
      resume: true,
    }),
    (error: Error) => {
      assert.ok(error instanceof NonFiniteLossError);
      assert.match(
        error.message,
        /loss is (NaN|-?Infinity) at epoch 1, step \d/,
      );
      return true;
    },
  );
  assert.deepEqual(
    await Deno.readFile(`${outDir}/${RUN_FILES.checkpoint}`),
    before,
  );
  await Deno.remove(outDir, { recursive: true });
});

Deno.test("the second-order step with ξ = 0 equals the first-order step", async () => {
  await initBackend("wasm");
  const config = tinyConfig({
    partialChannels: 1,
    edgeNormalization: false,
    channels: 4,
  });
  const batch = {
    images: tf.tensor4d(
      new Float32Array(4 * 32 * 32 * 3).map((_, i) => Math.sin(i)),
      [4, 32, 32, 3],
    ),
    labels: tf.tensor1d([1, 2, 3, 4], "int32"),
  };
  const results: number[][] = [];
  for (const secondOrder of [false, true]) {
    const network = buildSearchNetwork(config, data);
    const { sgd, adam } = searchOptimizers(network, config);
    await architectureStep(
      {
        network,
        adam,
        sgd,
        archLearningRate: 0.01,
        secondOrder,
        weightLearningRate: 0,
      },
      batch,
      batch,
    );
    results.push(Array.from(network.architecture.alphasNormal.dataSync()));
    sgd.dispose();
    adam.dispose();
    network.dispose();
  }
  for (let i = 0; i < results[0].length; i++) {
    assert.ok(Math.abs(results[0][i] - results[1][i]) < 1e-6);
  }
  tf.dispose([batch.images, batch.labels]);
});

Deno.test({
  name:
    "a search step runs on webgpu, which cannot read tensors synchronously under Deno",
  ignore: !(await probeWebGpu()).available,
  async fn() {
    await initBackend("webgpu");
    const m = await measureSearchStep({
      channels: 4,
      layers: 2,
      imageSize: 8,
      batchSize: 2,
      partialChannels: 2,
      edgeNormalization: true,
      steps: 1,
      warmup: 0,
    });
    assert.ok(m.medianMs > 0 && m.peakBytes > 0);
  },
});
