import assert from "node:assert/strict";
import * as tf from "../../../tf.ts";
import { initBackend } from "../../init.ts";
import { sumTermsInOrder } from "../../../ops/grouped_gradient_sums.ts";
import { setSimdKernelsEnabled } from "../../../testing/option_setters.ts";

Deno.test("the wasm sum of terms gives tfjs' AddN bits (negative zeros to +0 included) and passes the gradient to every term", async () => {
  await initBackend("wasm");
  for (const count of [2, 3, 5]) {
    // 4·7 + 3 floats: whole vectors and a scalar tail; -0 in every term at
    // the first element (its sum is +0) and at the last (the scalar tail).
    const terms = Array.from({ length: count }, (_, i) =>
      tf.concat([
        tf.fill([1], -0),
        tf.randomNormal([29], 0, 1, "float32", 10 * count + i),
        tf.fill([1], -0),
      ]));
    const sum = async (kernelsOn: boolean) => {
      const before = setSimdKernelsEnabled(kernelsOn);
      try {
        const { value, grads } = tf.tidy(() => {
          const probe = tf.randomNormal([31], 0, 1, "float32", 3);
          const f = (...xs: tf.Tensor[]) =>
            tf.sum(tf.mul(sumTermsInOrder(xs), probe));
          const value = sumTermsInOrder(terms);
          return { value, grads: tf.grads(f)(terms) };
        });
        const bits = new Uint32Array((await value.data()).buffer);
        const gradients = await Promise.all(grads.map((g) => g.data()));
        tf.dispose([value, ...grads]);
        return { bits, gradients };
      } finally {
        setSimdKernelsEnabled(before);
      }
    };
    const ours = await sum(true);
    const tfjs = await sum(false);
    assert.deepEqual(ours.bits, tfjs.bits, `${count} terms`);
    assert.deepEqual(ours.gradients, tfjs.gradients, `${count} terms`);
    tf.dispose(terms);
  }
});
