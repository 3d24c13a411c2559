/**
 * Test helpers that compare an op's fast path (the wasm SIMD kernels, the
 * webgpu programs) with its portable tfjs path: the value and every input
 * gradient of `f`, with the path switched by its `set…Enabled` function.
 */
import assert from "node:assert/strict";
import * as tf from "../tf.ts";

/**
 * The value of `f(...inputs)` and the gradients of `Σ f(...inputs)·probe`
 * (a seeded normal probe) for every input, with `setEnabled(on)` for the
 * duration; read asynchronously, so any backend will do.
 */
export async function valueAndGrads(
  f: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  setEnabled: (on: boolean) => boolean,
  on: boolean,
): Promise<Float32Array[]> {
  const before = setEnabled(on);
  try {
    const tensors = tf.tidy(() => {
      const y = f(...inputs);
      const probe = tf.randomNormal(y.shape, 0, 1, "float32", 7);
      const grads = tf.grads((...xs: tf.Tensor[]) =>
        tf.sum(tf.mul(f(...xs), probe))
      )(inputs);
      return [y, ...grads];
    });
    const values = await Promise.all(tensors.map((t) => t.data()));
    tf.dispose(tensors);
    return values as Float32Array[];
  } finally {
    setEnabled(before);
  }
}

/** Each part of `a` within `tolerance · max(1, max |b|)` of `b`'s. */
export function assertClose(
  a: Float32Array[],
  b: Float32Array[],
  label: string,
  tolerance = 1e-5,
): void {
  assert.equal(a.length, b.length);
  a.forEach((values, k) => {
    assert.equal(values.length, b[k].length, `${label} part ${k}: length`);
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < values.length; i++) {
      scale = Math.max(scale, Math.abs(b[k][i]));
      worst = Math.max(worst, Math.abs(values[i] - b[k][i]));
    }
    assert.ok(
      worst <= tolerance * Math.max(1, scale),
      `${label} part ${k}: ${worst} against scale ${scale}`,
    );
  });
}
