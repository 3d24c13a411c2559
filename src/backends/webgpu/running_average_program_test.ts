import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { onEachBackend } from "../../testing/backends.ts";
import { Random } from "../../ops/random.ts";
import { runningAverage, runningAverages } from "../../ops/running_average.ts";

/** 40 updates over 20 batch norms (each met twice), grouped or one by one. */
async function update(grouped: boolean): Promise<Float32Array[]> {
  const random = new Random(3);
  const vector = (n: number) =>
    tf.tensor1d(Float32Array.from({ length: n }, () => random.normal()));
  const running = Array.from({ length: 20 }, (_, i) => {
    const t = vector(2 * (4 + i));
    const v = tf.variable(t);
    t.dispose();
    return v;
  });
  const items = [...running, ...running].map((r, i) => ({
    running: r,
    batch: vector(r.size),
    correction: (i + 2) / (i + 1),
  }));
  if (grouped) runningAverages(items, 0.1);
  else {
    for (const { running: r, batch, correction } of items) {
      const next = runningAverage(r, batch, 0.1, correction);
      r.assign(next as tf.Tensor1D);
      next.dispose();
    }
  }
  const values = await Promise.all(
    running.map(async (r) => await r.data() as Float32Array),
  );
  tf.dispose([...running, ...items.map((item) => item.batch)]);
  return values;
}

Deno.test("grouped running averages give the bits of one update at a time, a batch norm met twice included", async (t) => {
  await onEachBackend(t, async () => {
    const grouped = await update(true);
    const single = await update(false);
    grouped.forEach((g, i) =>
      assert.deepEqual(g, single[i], `batch norm ${i}`)
    );
  });
});
