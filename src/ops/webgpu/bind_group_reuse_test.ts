import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { onEachBackend } from "../../testing/backends.ts";
import { SearchNetwork } from "../../space/search_network.ts";
import { searchStep } from "../../search/search_step.ts";
import { searchOptimizers } from "../../search/search.ts";
import { resolveSearchConfig } from "../../search/search_config.ts";
import { bindGroupReuseCounts } from "./bind_group_reuse.ts";
import { setBindGroupReuse } from "../../testing/option_setters.ts";

/** Steps run: the buffers each step binds settle within a few. */
const STEPS = 5;

/**
 * Weights and alphas after five seeded search steps, as raw float bits, and
 * the bind groups the last step created and took from the cache.
 */
async function searchSteps(): Promise<
  { bits: Uint32Array[]; created: number; hits: number }
> {
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
  let before = bindGroupReuseCounts();
  for (let step = 0; step < STEPS; step++) {
    if (step === STEPS - 1) before = bindGroupReuseCounts();
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
  const after = bindGroupReuseCounts();
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
  return {
    bits,
    created: after.created - before.created,
    hits: after.hits - before.hits,
  };
}

Deno.test("bind group reuse: the fifth of five like steps reuses 99 % of its bind groups, and the steps give the same bits as without reuse", async (t) => {
  await onEachBackend(t, async () => {
    const previous = setBindGroupReuse(true);
    try {
      const reused = await searchSteps();
      assert.ok(reused.hits > 100, `${reused.hits} bind groups reused`);
      assert.ok(
        reused.created <= 0.01 * (reused.created + reused.hits),
        `the fifth step created ${reused.created} and reused ${reused.hits}`,
      );
      setBindGroupReuse(false);
      const plain = await searchSteps();
      assert.equal(plain.hits, 0);
      assert.equal(reused.bits.length, plain.bits.length);
      reused.bits.forEach((bits, i) =>
        assert.deepEqual(bits, plain.bits[i], `variable ${i} differs`)
      );
    } finally {
      setBindGroupReuse(previous);
    }
  }, ["webgpu"]);
});

Deno.test("bind group reuse: a destroyed buffer's bind groups leave the cache", async (t) => {
  await onEachBackend(t, () => {
    const previous = setBindGroupReuse(true);
    try {
      const device = (tf.backend() as unknown as { device: GPUDevice }).device;
      const layout = device.createBindGroupLayout({
        entries: [{
          binding: 0,
          visibility: GPUShaderStage.COMPUTE,
          buffer: { type: "storage" },
        }],
      });
      const buffer = device.createBuffer({
        size: 16,
        usage: GPUBufferUsage.STORAGE,
      });
      const describe = () => ({
        layout,
        entries: [{ binding: 0, resource: { buffer } }],
      });
      const kept = bindGroupReuseCounts().kept;
      const first = device.createBindGroup(describe());
      assert.equal(device.createBindGroup(describe()), first, "reused");
      assert.equal(bindGroupReuseCounts().kept, kept + 1);
      buffer.destroy();
      assert.equal(bindGroupReuseCounts().kept, kept, "dropped");
    } finally {
      setBindGroupReuse(previous);
    }
  }, ["webgpu"]);
});
