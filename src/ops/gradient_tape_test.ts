import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { onEachBackend } from "../testing/backends.ts";

Deno.test("a gradient of a gradient is still right with the tape passes installed", async (t) => {
  await onEachBackend(t, async () => {
    const x = tf.tensor1d([0.5, -1, 2]);
    // d²/dx² of Σ(x³ + x·x·x) = 12x, with x read several times at each order.
    const f = (v: tf.Tensor) =>
      tf.sum(tf.add(tf.pow(v, 3), tf.mul(tf.mul(v, v), v)));
    const second = tf.grad((v: tf.Tensor) => tf.sum(tf.grad(f)(v)))(x);
    const values = await second.data();
    [6, -12, 24].forEach((expected, i) =>
      assert.ok(Math.abs(values[i] - expected) < 1e-4, `${values}`)
    );
    tf.dispose([x, second]);
  });
});

Deno.test("the tensors a kernel saves for the outermost gradient add no tape nodes of their own", async (t) => {
  await onEachBackend(t, async () => {
    const engine = tf.engine() as unknown as {
      state: { activeTape: unknown[] | null };
    };
    const x = tf.tensor1d([0.5, -1, 2]);
    let nodes = -1;
    // Multiply saves both of its inputs; tfjs would record a node per copy.
    const { value, grads } = tf.valueAndGrads((a: tf.Tensor) => {
      const y = tf.sum(tf.mul(a, a));
      nodes = engine.state.activeTape?.length ?? -1;
      return y as tf.Scalar;
    })([x]);
    assert.equal(nodes, 2, "Multiply and Sum, and no copy nodes");
    assert.deepEqual(Array.from(await grads[0].data()), [1, -2, 4]);
    assert.equal((await value.data())[0], 5.25);
    tf.dispose([x, value, ...grads]);
  });
});
