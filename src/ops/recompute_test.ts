import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import {
  describeRecomputation,
  recomputed,
  recomputesCell,
} from "./recompute.ts";
import { withoutWeightGradients } from "./custom_gradient.ts";
import { onEachBackend } from "../testing/backends.ts";
import { gradientCheck, randomInputs } from "../testing/gradient_check.ts";

/** tanh(x·w + a)·x: reads a variable, and its input twice. */
function makeBlock(w: tf.Variable) {
  return (xs: tf.Tensor[]) =>
    tf.mul(tf.tanh(tf.add(tf.mul(xs[0], w), xs[1])), xs[0]);
}

Deno.test("recomputed blocks: input gradients match finite differences", async (t) => {
  await onEachBackend(t, async () => {
    const [x, a, w0] = randomInputs([[2, 3, 4], [3, 4], [3, 4]], 5);
    const w = tf.variable(w0, true, "recompute_test_w1");
    const block = makeBlock(w);
    const result = await gradientCheck(
      (xi, ai) => recomputed(block, [xi, ai], [w]),
      [x, a],
    );
    tf.dispose([x, a, w0, w]);
    for (const e of result.worst) assert.ok(e < 1e-2, `mismatch ${e}`);
  });
});

/** Reads a scalar tensor and disposes it. */
async function scalar(t: tf.Tensor): Promise<number> {
  const value = (await t.data())[0];
  t.dispose();
  return value;
}

Deno.test("recomputed blocks: variable gradients match finite differences, and none in architecture-only passes", async (t) => {
  await onEachBackend(t, async () => {
    const [x, a, w0, r, v] = randomInputs(
      [[2, 3, 4], [3, 4], [3, 4], [2, 3, 4], [3, 4]],
      6,
    );
    const w = tf.variable(w0, true, "recompute_test_w2");
    const block = makeBlock(w);
    const loss = () =>
      tf.tidy(() =>
        tf.sum(tf.mul(recomputed(block, [x, a], [w]), r)) as tf.Scalar
      );
    const { value, grads } = tf.variableGrads(loss, [w]);
    value.dispose();
    const analytic = await scalar(
      tf.tidy(() => tf.sum(tf.mul(grads[w.name], v))),
    );
    const epsilon = 1e-2;
    const lossAt = async (sign: number) => {
      tf.tidy(() => w.assign(tf.add(w0, tf.mul(v, sign * epsilon))));
      return await scalar(loss());
    };
    const fd = ((await lossAt(1)) - (await lossAt(-1))) / (2 * epsilon);
    w.assign(w0);
    assert.ok(
      Math.abs(fd - analytic) / Math.max(Math.abs(fd), 1e-3) < 1e-2,
      `finite difference ${fd}, analytic ${analytic}`,
    );
    // Architecture-only passes: zero for the variable, the same for inputs.
    const inputGrads = tf.grads((xi: tf.Tensor) =>
      tf.sum(tf.mul(recomputed(block, [xi, a], [w]), r))
    );
    const [withWeights] = inputGrads([x]);
    const off = withoutWeightGradients(() => tf.variableGrads(loss, [w]));
    off.value.dispose();
    const [withoutWeights] = withoutWeightGradients(() => inputGrads([x]));
    assert.equal(
      await scalar(tf.tidy(() => tf.max(tf.abs(off.grads[w.name])))),
      0,
    );
    assert.deepEqual(
      Array.from(await withoutWeights.data()),
      Array.from(await withWeights.data()),
    );
    tf.dispose([x, a, w0, r, v, w, grads[w.name], off.grads[w.name]]);
    tf.dispose([withWeights, withoutWeights]);
  });
});

Deno.test("a cell recomputation setting names its cells", () => {
  assert.deepEqual(
    [0, 1, 2, 3].map((i) => recomputesCell(2, i)),
    [true, true, false, false],
  );
  assert.deepEqual([0, 7].map((i) => recomputesCell(true, i)), [true, true]);
  assert.deepEqual([0, 7].map((i) => recomputesCell(false, i)), [false, false]);
  assert.equal(recomputesCell(undefined, 0), false);
  assert.equal(describeRecomputation(true, 8), "every cell");
  assert.equal(describeRecomputation(8, 8), "every cell");
  assert.equal(describeRecomputation(3, 8), "the first 3 cells");
  assert.equal(describeRecomputation(1, 8), "the first cell");
  assert.equal(describeRecomputation(false, 8), "no cell");
  assert.equal(describeRecomputation(0, 8), "no cell");
});
