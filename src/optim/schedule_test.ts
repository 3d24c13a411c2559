import assert from "node:assert/strict";
import {
  cosineLearningRate,
  imageNetLearningRate,
  warmCosineLearningRate,
} from "./schedule.ts";

Deno.test("the cosine schedule runs from max to min", () => {
  assert.equal(cosineLearningRate(0, 50, 0.1, 0), 0.1);
  assert.ok(Math.abs(cosineLearningRate(25, 50, 0.1, 0) - 0.05) < 1e-12);
});

Deno.test("the ImageNet schedule: 250 epochs at lr 0.5 and batch 1024, as the reference computes it", () => {
  const lr = (e: number) => imageNetLearningRate(e, 250, 0.5, 1024);
  // Warm-up: epoch e < 5 takes (e + 1) / 5 of the linear decay.
  assert.ok(Math.abs(lr(0) - (0.5 * 245 / 245) * (1 / 5)) < 1e-12);
  assert.ok(Math.abs(lr(4) - (0.5 * 241 / 245)) < 1e-12);
  // The decay, then the smaller slope over the last 5 epochs.
  assert.ok(Math.abs(lr(100) - 0.5 * 145 / 245) < 1e-12);
  assert.ok(Math.abs(lr(245) - 0.5 * 5 / (245 * 5)) < 1e-12);
  assert.ok(Math.abs(lr(249) - 0.5 * 1 / (245 * 5)) < 1e-12);
  // No warm-up at batch 256 or below.
  assert.ok(Math.abs(imageNetLearningRate(0, 250, 0.5, 256) - 0.5) < 1e-12);
  // A quick run decays linearly over its epochs, never below 0.
  assert.deepEqual(
    [0, 1].map((e) => imageNetLearningRate(e, 2, 0.5, 8)),
    [0.5, 0.25],
  );
  for (let e = 0; e < 250; e++) assert.ok(lr(e) > 0);
});

Deno.test("the ImageNet search warms up over 5 epochs at batch 1024, then follows the cosine", () => {
  const lr = (e: number, batch = 1024) =>
    warmCosineLearningRate(e, 50, 0.5, 0, batch);
  assert.deepEqual([0, 1, 4].map((e) => lr(e)), [0.1, 0.2, 0.5]);
  assert.equal(lr(5), cosineLearningRate(5, 50, 0.5, 0));
  assert.equal(lr(0, 256), 0.5);
});
