import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { describeDevice, initBackend } from "./init.ts";
import { builtPackage } from "./tensorflow/package.ts";

Deno.test("an unknown backend is refused with the list of choices", async () => {
  await assert.rejects(
    initBackend("cuda"),
    /unknown backend "cuda"; choose one of auto, tensorflow, webgpu, wasm, cpu/,
  );
});

const tensorflowBuilt = builtPackage() !== null;

Deno.test({
  name: "asking for tensorflow before it is set up says how to set it up",
  ignore: tensorflowBuilt,
  async fn() {
    await assert.rejects(
      initBackend("tensorflow"),
      /tensorflow backend is not set up.*has no binding.*deno task setup tensorflow/,
    );
  },
});

Deno.test({
  name: "once set up, tensorflow loads and auto prefers it",
  ignore: !tensorflowBuilt,
  async fn() {
    assert.equal((await initBackend("tensorflow")).name, "tensorflow");
    assert.equal((await initBackend("auto")).name, "tensorflow");
  },
});

Deno.test("auto picks a working backend and the device is described in one line", async () => {
  const info = await initBackend("auto");
  assert.equal(tf.getBackend(), info.name);
  // tensorflow once set up; else a hardware GPU's webgpu; else wasm (CI).
  if (tensorflowBuilt) assert.equal(info.name, "tensorflow");
  else if (!info.gpu) assert.equal(info.name, "wasm");
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
