import assert from "node:assert/strict";
import * as tf from "./tf.ts";
import { describeDevice, initBackend } from "./backend.ts";

Deno.test("an unknown backend is refused with the list of choices", async () => {
  await assert.rejects(
    initBackend("cuda"),
    /unknown backend "cuda"; choose one of auto, tensorflow, webgpu, wasm, cpu/,
  );
});

Deno.test("asking for tensorflow without tfjs-node says how to install it", async () => {
  await assert.rejects(
    initBackend("tensorflow"),
    /tensorflow backend is not installed.*deno add npm:@tensorflow\/tfjs-node-gpu/,
  );
});

Deno.test("auto picks a working backend and the device is described in one line", async () => {
  const info = await initBackend("auto");
  assert.equal(tf.getBackend(), info.name);
  // Without tfjs-node and a hardware GPU (CI), auto must fall back to wasm.
  if (!info.gpu) assert.equal(info.name, "wasm");
  const line = await describeDevice();
  assert.match(line, /\d+ cores, [\d.]+ GiB/);
  assert.ok(!line.includes("\n"));
});

Deno.test("on wasm a clone shares its buffer and outlives the original", async () => {
  await initBackend("wasm");
  const buffersBefore = tf.memory().numDataBuffers;
  const original = tf.tensor([1.5, -2, 3]);
  const copy = tf.clone(original);
  const id = (t: tf.Tensor) => (t as unknown as { dataId: object }).dataId;
  assert.equal(id(copy), id(original));
  original.dispose();
  assert.deepEqual(Array.from(await copy.data()), [1.5, -2, 3]);
  copy.dispose();
  assert.equal(tf.memory().numDataBuffers, buffersBefore);
});
