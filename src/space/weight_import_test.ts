import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { ParameterStore } from "./parameters.ts";
import { importTorchWeights } from "./weight_import.ts";
import { onEachBackend } from "../testing/backends.ts";

Deno.test("PyTorch's running_mean and running_var land in the halves of our running statistics", async (t) => {
  await onEachBackend(t, async () => {
    const before = tf.memory().numTensors;
    const store = new ParameterStore(1);
    const { gamma, runningStatistics } = store.batchNorm("bn", 3, true);
    const tensors = new Map([
      ["param.bn.weight", { shape: [3], data: new Float32Array([1, 2, 3]) }],
      ["param.bn.running_var", {
        shape: [3],
        data: new Float32Array([4, 5, 6]),
      }],
      ["param.bn.running_mean", {
        shape: [3],
        data: new Float32Array([-1, 0, 1]),
      }],
      ["param.bn.num_batches_tracked", {
        shape: [],
        data: new Float32Array(1),
      }],
    ]);
    const report = importTorchWeights(store, tensors, "param.");
    assert.deepEqual(report.loaded, [
      "bn.weight",
      "bn.running_var",
      "bn.running_mean",
    ]);
    assert.deepEqual(report.missing, ["bn.bias"]);
    assert.deepEqual(Array.from(await gamma!.data()), [1, 2, 3]);
    assert.deepEqual(
      Array.from(await runningStatistics.data()),
      [-1, 0, 1, 4, 5, 6],
    );
    // A half of the wrong length names the file's tensor.
    assert.throws(
      () =>
        importTorchWeights(
          store,
          new Map([["param.bn.running_mean", {
            shape: [2],
            data: new Float32Array(2),
          }]]),
          "param.",
        ),
      /param\.bn\.running_mean: 2 values, but our BatchNorm has 3 channels/,
    );
    assert.equal(tf.memory().numTensors, before + store.entries.size);
    store.dispose();
  });
});
