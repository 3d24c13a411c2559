/**
 * The cpu and wasm backends' kernels for the optimizer's ops: the SGD update
 * in one pass over each variable, and the global norm summed in doubles, both
 * on the host (these backends' tensors are read synchronously).
 */
import * as tf from "../../tf.ts";
import type { SgdSettings } from "../../ops/sgd_update.ts";

/** `sgdUpdate` on the host: one pass, no kernels. */
export function sgdUpdateHost(
  v: tf.Variable,
  g: tf.Tensor,
  previous: tf.Tensor | undefined,
  { lr, momentum, weightDecay }: SgdSettings,
): tf.Tensor {
  const gradient = g.dataSync() as Float32Array;
  const w = v.dataSync() as Float32Array;
  const old = previous && momentum ? previous.dataSync() as Float32Array : null;
  const buffer = new Float32Array(gradient.length);
  const updated = new Float32Array(gradient.length);
  for (let i = 0; i < gradient.length; i++) {
    const d = gradient[i] + weightDecay * w[i];
    buffer[i] = old ? momentum * old[i] + d : d;
    updated[i] = w[i] - lr * buffer[i];
  }
  tf.tidy(() => v.assign(tf.tensor(updated, v.shape)));
  return tf.tensor(buffer, v.shape);
}

/** `globalNorm` on the host, the squares summed in doubles. */
export function globalNormHost(tensors: tf.Tensor[]): Promise<number> {
  let squares = 0;
  for (const t of tensors) {
    const values = t.dataSync() as Float32Array;
    for (let i = 0; i < values.length; i++) squares += values[i] * values[i];
  }
  return Promise.resolve(Math.sqrt(squares));
}
