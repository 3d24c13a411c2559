import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { lacksBackends, onEachBackend } from "../../testing/backends.ts";
import { seededSearchStepBits } from "../../testing/search_steps.ts";
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
  let before = bindGroupReuseCounts();
  const bits = await seededSearchStepBits(STEPS, (step) => {
    if (step === STEPS - 1) before = bindGroupReuseCounts();
  });
  const after = bindGroupReuseCounts();
  return {
    bits,
    created: after.created - before.created,
    hits: after.hits - before.hits,
  };
}

Deno.test({
  name:
    "bind group reuse: the fifth of five like steps reuses 99 % of its bind groups, and the steps give the same bits as without reuse",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
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
  },
});

Deno.test({
  name: "bind group reuse: a destroyed buffer's bind groups leave the cache",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, () => {
      const previous = setBindGroupReuse(true);
      try {
        const device =
          (tf.backend() as unknown as { device: GPUDevice }).device;
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
  },
});
