/** The channel shuffle of partial channel connections. */
import type { Tensor4D } from "../tensor_types.ts";
import * as tf from "../tf.ts";

/**
 * Reorders NHWC channels from [K groups of C/K] to [C/K groups of K]
 * (`channel_shuffle(x, K)` of the reference).
 */
export function channelShuffle(x: Tensor4D, groups: number): Tensor4D {
  if (groups === 1) return x;
  const [n, h, w, c] = x.shape;
  const grouped = tf.reshape(x, [n * h * w, groups, c / groups]);
  return tf.reshape(tf.transpose(grouped, [0, 2, 1]), [n, h, w, c]);
}
