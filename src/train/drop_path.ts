/**
 * Drop-path: in training, each sample's output of an operation is kept with
 * probability 1 − p and then divided by 1 − p (so its expected value is
 * unchanged), or zeroed. The masks are drawn from a seeded generator.
 */
import * as tf from "../tf.ts";
import type { Random } from "../ops/random.ts";

/** Applies drop-path with probability `p` to a batch (p = 0: unchanged). */
export function dropPath(
  x: tf.Tensor4D,
  p: number,
  random: Random,
): tf.Tensor4D {
  if (p <= 0) return x;
  const keep = 1 - p;
  const n = x.shape[0];
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i++) mask[i] = random.uniform() < keep ? 1 / keep : 0;
  return tf.mul(x, tf.tensor4d(mask, [n, 1, 1, 1]));
}
