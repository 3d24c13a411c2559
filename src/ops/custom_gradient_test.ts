import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { onEachBackend } from "../testing/backends.ts";
import { assertClose } from "../testing/path_comparison.ts";
import { withoutMixingWeightGradients } from "./custom_gradient.ts";
import { weightedSum } from "./layout.ts";

Deno.test("without mixing-weight gradients, a weighted sum leaves its weights out and gives the same term gradients", async (t) => {
  await onEachBackend(t, async () => {
    const indices = [1, 2, 3, 4, 5, 6, 7];
    const terms = indices.map((i) =>
      tf.tidy(() =>
        tf.variable(tf.randomNormal([2, 3, 3, 4], 0, 1, "float32", i))
      )
    );
    const weights = tf.tidy(() =>
      tf.variable(tf.softmax(tf.randomNormal([8], 0, 1, "float32", 9)))
    );
    const probe = tf.randomNormal([2, 3, 3, 4], 0, 1, "float32", 11);
    const gradients = () =>
      tf.variableGrads(
        () =>
          tf.sum(
            tf.mul(
              weightedSum(
                terms as unknown as tf.Tensor4D[],
                weights as unknown as tf.Tensor1D,
                indices,
              ),
              probe,
            ),
          ) as tf.Scalar,
        [...terms, weights],
      );
    const full = gradients();
    const termsOnly = withoutMixingWeightGradients(gradients);
    assert.ok(weights.name in full.grads, "the weights' gradient, normally");
    assert.ok(!(weights.name in termsOnly.grads), "no weights' gradient");
    assertClose(
      await Promise.all(
        terms.map(async (v) =>
          await termsOnly.grads[v.name].data() as Float32Array
        ),
      ),
      await Promise.all(
        terms.map(async (v) => await full.grads[v.name].data() as Float32Array),
      ),
      "term gradients",
      0,
    );
    assert.equal(
      (await termsOnly.value.data())[0],
      (await full.value.data())[0],
    );
    tf.dispose([
      full.value,
      termsOnly.value,
      ...Object.values(full.grads),
      ...Object.values(termsOnly.grads),
      ...terms,
      weights,
      probe,
    ]);
  });
});
