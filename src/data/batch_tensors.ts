/** Turning a host batch into tensors. */
import * as tf from "../tf.ts";
import type { Batch } from "./batches.ts";

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

/** The first value of a tensor, read asynchronously. */
export async function scalarValue(t: tf.Tensor): Promise<number> {
  return (await t.data())[0];
}
