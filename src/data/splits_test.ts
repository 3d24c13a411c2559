import assert from "node:assert/strict";
import { classBalancedSubset, range, splitTrainValidation } from "./splits.ts";

Deno.test("a class-balanced subset takes the first images of each class", () => {
  const labels = [0, 1, 0, 2, 1, 0, 2, 2, 1, 0];
  assert.deepEqual(Array.from(classBalancedSubset(labels, 3, 6)), [
    0,
    1,
    2,
    3,
    4,
    6,
  ]);
  assert.deepEqual(Array.from(classBalancedSubset(labels, 3, 7)), [
    0,
    1,
    2,
    3,
    4,
    5,
    6,
  ]);
  assert.throws(() => classBalancedSubset(labels, 3, 12), /not enough images/);
  assert.throws(() => classBalancedSubset(labels, 3, 2), /at least 3/);
});

Deno.test("the train portion splits like the reference: floor(portion * n) first", () => {
  const { train, validation } = splitTrainValidation(range(7), 0.5);
  assert.deepEqual(Array.from(train), [0, 1, 2]);
  assert.deepEqual(Array.from(validation), [3, 4, 5, 6]);
  assert.throws(() => splitTrainValidation(range(4), 1), /train portion/);
});
