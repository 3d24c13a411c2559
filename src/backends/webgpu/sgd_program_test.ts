import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { lacksBackends, onEachBackend } from "../../testing/backends.ts";
import { Random } from "../../ops/random.ts";
import { sgdUpdate, sgdUpdates } from "../../ops/sgd_update.ts";
import { programDispatchCount } from "./webgpu_programs.ts";
import { storageBufferLimit, WANTED_STORAGE_BUFFERS } from "./webgpu_device.ts";

const SETTINGS = { lr: 0.025, momentum: 0.9, weightDecay: 3e-4 };

function randomTensor(random: Random, shape: number[]): tf.Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: size }, () => random.normal()),
    shape,
  );
}

/** Three steps of 23 variables of mixed sizes, grouped or one by one. */
async function threeSteps(grouped: boolean, shareOne: boolean) {
  const random = new Random(7);
  const shapes = Array.from(
    { length: 23 },
    (_, i) => i % 5 === 0 ? [3, 3, 16, 1] : i % 3 === 0 ? [4097] : [16, 4 + i],
  );
  const variables = shapes.map((s) => {
    const t = randomTensor(random, s);
    const v = tf.variable(t);
    t.dispose();
    return v;
  });
  // A tensor sharing a variable's data: that one cannot be written in place.
  const shared = shareOne ? variables[4].clone() : null;
  let buffers: (tf.Tensor | undefined)[] = variables.map(() => undefined);
  for (let step = 0; step < 3; step++) {
    const gradients = shapes.map((s) => randomTensor(random, s));
    const items = variables.map((variable, i) => ({
      variable,
      gradient: gradients[i],
      previous: buffers[i],
    }));
    const next = grouped
      ? sgdUpdates(items, SETTINGS)
      : items.map((item) =>
        sgdUpdate(item.variable, item.gradient, item.previous, SETTINGS)
      );
    items.forEach((item, i) => {
      if (item.previous !== next[i]) item.previous?.dispose();
    });
    buffers = next;
    tf.dispose(gradients);
  }
  const weights = await Promise.all(variables.map((v) => v.data()));
  const momenta = await Promise.all(buffers.map((b) => b!.data()));
  const sharedValues = shared ? await shared.data() : null;
  tf.dispose([
    ...variables,
    ...buffers.map((b) => b!),
    ...(shared ? [shared] : []),
  ]);
  return { weights, momenta, sharedValues };
}

Deno.test("grouped SGD updates give the bits of one update per variable, in place where it can", async (t) => {
  await onEachBackend(t, async (backend) => {
    for (const shareOne of [false, true]) {
      const before = programDispatchCount();
      const grouped = await threeSteps(true, shareOne);
      const groupedDispatches = programDispatchCount() - before;
      const single = await threeSteps(false, shareOne);
      grouped.weights.forEach((w, i) =>
        assert.deepEqual(w, single.weights[i], `weight ${i}`)
      );
      grouped.momenta.forEach((m, i) =>
        assert.deepEqual(m, single.momenta[i], `momentum ${i}`)
      );
      if (shareOne) {
        // The clone still holds the initial value, not the updated weight.
        assert.notDeepEqual(grouped.sharedValues, grouped.weights[4]);
        assert.deepEqual(grouped.sharedValues, single.sharedValues);
      }
      if (backend === "webgpu") {
        const perGroup = Math.min(16, Math.floor(storageBufferLimit() / 3));
        // The shared variable takes two dispatches at the first step; its
        // update is then a tensor of its own, written in place afterwards.
        const expected = Math.ceil((shareOne ? 22 : 23) / perGroup) +
          2 * Math.ceil(23 / perGroup) + (shareOne ? 2 : 0);
        assert.equal(groupedDispatches, expected);
      }
    }
  });
});

Deno.test({
  name:
    "the webgpu device binds as many storage buffers a stage as asked for, within the adapter's limit",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      const adapter = await navigator.gpu.requestAdapter();
      assert.equal(
        storageBufferLimit(),
        Math.min(
          WANTED_STORAGE_BUFFERS,
          adapter!.limits.maxStorageBuffersPerShaderStage,
        ),
      );
    }, ["webgpu"]);
  },
});
