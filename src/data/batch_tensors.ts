/** Turning a host batch into tensors. */
import * as tf from "../tf.ts";
import type { Batch, BatchSource } from "./batches.ts";

/** A batch as tensors. */
export interface TensorBatch {
  /** NHWC images. */
  images: tf.Tensor4D;
  /** Class indices (int32). */
  labels: tf.Tensor1D;
}

/** Uploads a batch. */
export function batchToTensors(batch: Batch): TensorBatch {
  return {
    images: tf.tensor4d(batch.images, [
      batch.size,
      batch.height,
      batch.width,
      batch.channels,
    ]),
    labels: tf.tensor1d(batch.labels, "int32"),
  };
}

/**
 * Number of rows whose arg-max equals the label (read asynchronously: webgpu
 * under Deno cannot read synchronously).
 */
export async function correctCount(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
): Promise<number> {
  const hits = tf.tidy(() =>
    tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), labels), "int32"))
  );
  const value = (await hits.data())[0];
  hits.dispose();
  return value;
}

/** Number of rows whose label is among the `k` largest logits. */
export async function topKCount(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  k: number,
): Promise<number> {
  const hits = tf.tidy(() => {
    const { indices } = tf.topk(logits, Math.min(k, logits.shape[1]));
    const found = tf.equal(indices, tf.expandDims(tf.cast(labels, "int32"), 1));
    return tf.sum(tf.cast(tf.any(found, 1), "int32"));
  });
  const value = (await hits.data())[0];
  hits.dispose();
  return value;
}

/** The first value of a tensor, read asynchronously. */
export async function scalarValue(t: tf.Tensor): Promise<number> {
  return (await t.data())[0];
}

/**
 * Mean cross-entropy and accuracy of a classifier over every batch of a loader
 * (epoch 0 order), in evaluation mode as `logitsOf` computes it.
 */
export async function evaluateLoader(
  loader: BatchSource,
  logitsOf: (images: tf.Tensor4D) => tf.Tensor2D,
  lossOf: (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Scalar,
): Promise<{ loss: number; accuracy: number; top5: number }> {
  let loss = 0;
  let correct = 0;
  let top5 = 0;
  let count = 0;
  for (let b = 0; b < loader.batchesPerEpoch(); b++) {
    const batch = await loader.batch(0, b);
    const t = batchToTensors(batch);
    const [logits, lossTensor] = tf.tidy(() => {
      const out = logitsOf(t.images);
      return [out, lossOf(out, t.labels)];
    });
    loss += (await scalarValue(lossTensor)) * batch.size;
    correct += await correctCount(logits as tf.Tensor2D, t.labels);
    top5 += await topKCount(logits as tf.Tensor2D, t.labels, 5);
    count += batch.size;
    tf.dispose([t.images, t.labels, logits, lossTensor]);
  }
  return {
    loss: loss / count,
    accuracy: correct / count,
    top5: top5 / count,
  };
}
