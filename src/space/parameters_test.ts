import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { onEachBackend } from "../testing/backends.ts";
import { ParameterStore } from "./parameters.ts";

Deno.test("running statistics follow PyTorch: momentum 0.1, unbiased variance", async (t) => {
  await onEachBackend(t, async () => {
    const store = new ParameterStore(3);
    const { runningStatistics } = store.batchNorm("bn", 2, false);
    const statistics = () => [{
      name: "bn",
      statistics: tf.tensor1d([2, -4, 3, 0.5]),
      count: 4,
    }];
    // Starts at mean 0, variance 1; count 4 makes the variance ×4/3.
    store.updateRunningStatistics(statistics());
    store.updateRunningStatistics(statistics());
    const expectMean = [2, -4].map((m) => 0.9 * (0.9 * 0 + 0.1 * m) + 0.1 * m);
    const expectVariance = [3, 0.5].map((v) => {
      const unbiased = (v * 4) / 3;
      return 0.9 * (0.9 * 1 + 0.1 * unbiased) + 0.1 * unbiased;
    });
    const running = Array.from(await runningStatistics.data());
    const mean = running.slice(0, 2);
    const variance = running.slice(2);
    mean.forEach((v, i) =>
      assert.ok(Math.abs(v - expectMean[i]) < 1e-6, `${mean}`)
    );
    variance.forEach((v, i) =>
      assert.ok(Math.abs(v - expectVariance[i]) < 1e-6, `${variance}`)
    );
    store.dispose();
  });
});
