import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { avgPool, maxPool } from "./pooling.ts";
import { maxPoolGradHost } from "../backends/host_kernels/pooling_host.ts";
import { lacksBackends, onEachBackend } from "../testing/backends.ts";
import {
  distinctInputs,
  gradientCheck,
  randomInputs,
} from "../testing/gradient_check.ts";

Deno.test("pooling gradients match finite differences", async (t) => {
  await onEachBackend(t, async () => {
    for (const [kernel, stride, padding] of [[3, 1, 1], [3, 2, 1], [2, 2, 0]]) {
      for (const pool of [maxPool, avgPool]) {
        const x = distinctInputs([2, 8, 8, 4], kernel + stride);
        const { worst } = await gradientCheck(
          (a) => pool(a as tf.Tensor4D, kernel, stride, padding),
          [x],
          { epsilon: 1e-2 },
        );
        x.dispose();
        assert.ok(
          worst[0] < 1e-2,
          `${pool.name} k${kernel} s${stride}: ${worst[0]}`,
        );
      }
    }
  });
});

Deno.test("average pooling excludes the padding from the count", async (t) => {
  await onEachBackend(t, async () => {
    const y = tf.tidy(() =>
      avgPool(tf.reshape(tf.range(1, 17), [1, 4, 4, 1]) as tf.Tensor4D, 3, 1, 1)
    );
    const values = await y.data();
    assert.equal(values[0], (1 + 2 + 5 + 6) / 4);
    assert.equal(values[5], (1 + 2 + 3 + 5 + 6 + 7 + 9 + 10 + 11) / 9);
    y.dispose();
  });
});

Deno.test({
  name: "the composed max-pool gradient routes to the first maximum",
  ignore: await lacksBackends(["cpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      // Every window of this input has a unique maximum except ties at equal values.
      const [x] = randomInputs([[2, 16, 16, 3]], 11);
      const dy = tf.ones([2, 16, 16, 3]) as tf.Tensor4D;
      const composed = tf.tidy(() =>
        maxPoolGradHost(x as tf.Tensor4D, dy, 3, 1, 1)
      );
      const reference = tf.tidy(() =>
        tf.grad((a: tf.Tensor) =>
          tf.sum(tf.maxPool(a as tf.Tensor4D, 3, 1, 1))
        )(
          x,
        )
      );
      const [a, b] = await Promise.all([composed.data(), reference.data()]);
      assert.deepEqual(Array.from(a), Array.from(b));
      tf.dispose([x, dy, composed, reference]);
    }, ["cpu"]);
  },
});
