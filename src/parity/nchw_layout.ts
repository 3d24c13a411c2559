/** Moving activations between PyTorch's NCHW and our NHWC layout. */
import * as tf from "../tf.ts";
import type { NamedArray } from "../io/safetensors.ts";

/** An NCHW fixture array as an NHWC tensor (other ranks unchanged). */
export function nchwToNhwc(array: NamedArray): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.tensor(array.data, array.shape);
    return t.rank === 4 ? tf.transpose(t, [0, 2, 3, 1]) : t;
  });
}

/** An NHWC tensor in NCHW order (other ranks: a copy). */
export function nhwcToNchw(t: tf.Tensor): tf.Tensor {
  return t.rank === 4 ? tf.transpose(t, [0, 3, 1, 2]) : tf.clone(t);
}

/**
 * Reads tensors asynchronously (the webgpu backend cannot read synchronously
 * under Deno) and disposes them.
 */
export async function readAndDispose(
  tensors: tf.Tensor[],
): Promise<Float32Array[]> {
  const values = await Promise.all(tensors.map((t) => t.data()));
  tf.dispose(tensors);
  return values as Float32Array[];
}
