import assert from "node:assert/strict";
import * as tf from "../../../tf.ts";
import { initBackend } from "../../init.ts";
import { runningAverage } from "../../../ops/running_average.ts";
import { simdKernels } from "./simd_kernels.ts";
import { runningAveragesSimd } from "./running_average_simd.ts";

Deno.test("wasm's in-place running averages give the portable op's bits, and leave a shared buffer alone", async () => {
  await initBackend("wasm");
  const simd = simdKernels()!;
  const start = tf.randomNormal([10], 0, 1, "float32", 3);
  const batch = tf.randomNormal([10], 0, 1, "float32", 4);
  const expected = runningAverage(start, batch, 0.1, 64 / 63);
  // Variables alone on their buffers, as the network's (a clone would share
  // `start`'s; the initial tensor shares the variable's until disposed).
  const own = async () => {
    const initial = tf.tensor1d(await start.data());
    const variable = tf.variable(initial);
    initial.dispose();
    return variable;
  };
  const running = await own();
  const before = running.dataId;
  runningAveragesSimd(simd, [{ running, batch, correction: 64 / 63 }], 0.1);
  assert.equal(running.dataId, before, "updated in place");
  assert.deepEqual(await running.data(), await expected.data());
  // A variable whose buffer another tensor shares is updated the portable
  // way: the other tensor keeps its values.
  const shared = await own();
  const alias = tf.reshape(shared, [2, 5]);
  const aliasBefore = await alias.data();
  runningAveragesSimd(
    simd,
    [{ running: shared, batch, correction: 64 / 63 }],
    0.1,
  );
  assert.deepEqual(await shared.data(), await expected.data());
  assert.deepEqual(await alias.data(), aliasBefore);
  tf.dispose([start, batch, expected, running, shared, alias]);
});
