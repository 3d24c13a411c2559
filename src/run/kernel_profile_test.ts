import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { profileKernels } from "./kernel_profile.ts";
import { onEachBackend } from "../testing/backends.ts";

Deno.test("kernel profiles agree with tf.profile, and survive more kernels than tf.profile can count", async (t) => {
  await onEachBackend(t, async () => {
    const work = () => {
      const a = tf.ones([100]);
      const b = tf.add(a, a);
      const c = tf.mul(b, b);
      tf.dispose([a, b, c]);
    };
    const ours = await profileKernels(work);
    const theirs = await tf.profile(work);
    assert.deepEqual(
      ours.kernels.map((k) => k.name),
      theirs.kernels.map((k) => k.name),
    );
    assert.equal(ours.peakBytes, theirs.peakBytes);
    assert.equal(ours.newBytes, 0);
  }, ["cpu"]);
  // tf.profile spreads one argument per kernel into Math.max.
  const many = () => {
    const x = tf.scalar(1);
    for (let i = 0; i < 150_000; i++) tf.dispose(tf.add(x, x));
    x.dispose();
  };
  await assert.rejects(tf.profile(many), RangeError);
  const profile = await profileKernels(many);
  assert.equal(profile.kernels.length, 150_000);
});
