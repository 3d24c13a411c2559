import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { encodeSafetensors, readSafetensors } from "../io/safetensors.ts";
import { ParameterStore } from "../space/parameters.ts";
import { loadCheckpoint, saveCheckpoint } from "./checkpoint.ts";
import { Sgd } from "../optim/optimizers.ts";

/** A store with one convolution and one affine BatchNorm, and its SGD. */
function parts(seed: number) {
  const store = new ParameterStore(seed);
  store.conv("conv.weight", [1, 1, 2, 3]);
  const bn = store.batchNorm("bn", 3, true);
  const sgd = new Sgd(store.trainable().map((p) => p.variable), {
    momentum: 0.9,
    weightDecay: 3e-4,
  });
  return {
    store,
    bn,
    parts: { stores: [{ prefix: "weight", store }], sgd, randoms: [] },
  };
}

Deno.test("a checkpoint restores the running statistics, also from the older file with running_mean and running_var apart", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/checkpoint.safetensors`;
  const saved = parts(1);
  saved.bn.runningStatistics.assign(tf.tensor1d([1, 2, 3, 4, 5, 6]));
  await saveCheckpoint(path, saved.parts, { epoch: 0, history: [] });
  const file = await readSafetensors(path);
  assert.deepEqual(
    Array.from(file.tensors.get("weight/bn.running_statistics")!.data),
    [1, 2, 3, 4, 5, 6],
  );
  const expectConv = await saved.store.entries.get("conv.weight")!.variable
    .data();

  const restore = async () => {
    const loaded = parts(2);
    await loadCheckpoint(path, loaded.parts);
    const running = Array.from(await loaded.bn.runningStatistics.data());
    const conv = await loaded.store.entries.get("conv.weight")!.variable.data();
    loaded.store.dispose();
    return { running, conv };
  };
  const current = await restore();
  assert.deepEqual(current.running, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(current.conv, expectConv);

  // The same checkpoint as an earlier version wrote it.
  const older = new Map(file.tensors);
  older.delete("weight/bn.running_statistics");
  older.set("weight/bn.running_mean", {
    shape: [3],
    data: new Float32Array([1, 2, 3]),
  });
  older.set("weight/bn.running_var", {
    shape: [3],
    data: new Float32Array([4, 5, 6]),
  });
  await Deno.writeFile(path, encodeSafetensors(older, file.metadata));
  const fromOlder = await restore();
  assert.deepEqual(fromOlder.running, [1, 2, 3, 4, 5, 6]);
  assert.deepEqual(fromOlder.conv, expectConv);

  // Without one half, the file belongs to another network.
  older.delete("weight/bn.running_var");
  await Deno.writeFile(path, encodeSafetensors(older, file.metadata));
  const loaded = parts(3);
  await assert.rejects(
    () => loadCheckpoint(path, loaded.parts),
    /lacks weight\/bn\.running_statistics: it belongs to another network/,
  );
  loaded.store.dispose();
  saved.store.dispose();
  await Deno.remove(dir, { recursive: true });
});
