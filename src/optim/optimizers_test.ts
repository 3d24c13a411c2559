import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { Adam, clipGradientNorm, Sgd } from "./optimizers.ts";
import { cosineLearningRate } from "./schedule.ts";
import { initBackend } from "../backends/init.ts";
import { onEachBackend } from "../testing/backends.ts";

await initBackend("cpu");

Deno.test("SGD follows PyTorch: weight decay into the gradient, momentum buffer, lr", async (t) => {
  // Host loops on cpu and wasm, two WGSL dispatches per variable on webgpu.
  await onEachBackend(t, async () => {
    const initial = tf.tensor1d([1, -2]);
    const w = tf.variable(initial);
    initial.dispose();
    const sgd = new Sgd([w], { momentum: 0.9, weightDecay: 0.1 });
    const g = tf.tensor1d([0.5, 0.5]);
    sgd.step({ [w.name]: g }, 0.1);
    // d = g + 0.1 w = [0.6, 0.3]; buf = d; w = w - 0.1 d
    assert.deepEqual(Array.from(await w.data()).map((v) => +v.toFixed(6)), [
      0.94,
      -2.03,
    ]);
    sgd.step({ [w.name]: g }, 0.1);
    // d = [0.5 + 0.094, 0.5 - 0.203] = [0.594, 0.297]; buf = 0.9 [0.6, 0.3] + d
    const buf = [0.9 * 0.6 + 0.594, 0.9 * 0.3 + 0.297];
    assert.deepEqual(
      Array.from(await sgd.buffers.get(w.name)!.data()).map((v) =>
        +v.toFixed(5)
      ),
      buf.map((v) => +v.toFixed(5)),
    );
    assert.deepEqual(
      Array.from(await w.data()).map((v) => +v.toFixed(5)),
      [0.94 - 0.1 * buf[0], -2.03 - 0.1 * buf[1]].map((v) => +v.toFixed(5)),
    );
    sgd.dispose();
    tf.dispose([w, g]);
  });
  await initBackend("cpu"); // the tests below read synchronously
});

Deno.test("Adam follows PyTorch's bias-corrected update with L2 weight decay", () => {
  const w = tf.variable(tf.tensor1d([1]));
  const adam = new Adam([w], { beta1: 0.5, beta2: 0.999, weightDecay: 0.01 });
  const g = tf.tensor1d([0.2]);
  adam.step({ [w.name]: g }, 0.1);
  const d = 0.2 + 0.01 * 1;
  const m = 0.5 * d;
  const v = 0.001 * d * d;
  const expected = 1 -
    (0.1 / 0.5) * m / (Math.sqrt(v) / Math.sqrt(0.001) + 1e-8);
  assert.ok(Math.abs(w.dataSync()[0] - expected) < 1e-6);
  assert.equal(adam.stepCount, 1);
  adam.dispose();
  tf.dispose([w, g]);
});

Deno.test("gradient clipping scales to the global norm only when above it", async () => {
  const grads = { a: tf.tensor1d([3]), b: tf.tensor1d([4]) };
  assert.equal(await clipGradientNorm(grads, 10), 5);
  assert.deepEqual(Array.from(grads.a.dataSync()), [3]);
  assert.equal(await clipGradientNorm(grads, 1), 5);
  assert.ok(Math.abs(grads.a.dataSync()[0] - 3 / (5 + 1e-6)) < 1e-6);
  tf.dispose(Object.values(grads));
});

Deno.test("the cosine schedule starts at max and reaches min at the last epoch's end", () => {
  assert.equal(cosineLearningRate(0, 50, 0.1, 0), 0.1);
  assert.ok(Math.abs(cosineLearningRate(25, 50, 0.1, 0) - 0.05) < 1e-12);
  assert.ok(cosineLearningRate(49, 50, 0.025, 0.001) > 0.001);
  assert.ok(Math.abs(cosineLearningRate(50, 50, 0.025, 0.001) - 0.001) < 1e-12);
});
