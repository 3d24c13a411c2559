/**
 * The label-smoothed cross-entropy of the reference's ImageNet training
 * (`CrossEntropyLabelSmooth`): the target puts 1 - ε on the label and ε / K
 * on each of the K classes, and the loss is the batch mean of
 * -Σ_k target_k · log_softmax(logits)_k.
 */
import * as tf from "../tf.ts";

/** The mean label-smoothed cross-entropy of `logits` `[N, K]` and `labels` `[N]`. */
export function labelSmoothedCrossEntropy(
  logits: tf.Tensor2D,
  labels: tf.Tensor1D,
  epsilon: number,
): tf.Scalar {
  if (!(epsilon >= 0 && epsilon < 1)) {
    throw new Error(`label smoothing must be in [0, 1), got ${epsilon}`);
  }
  return tf.tidy(() => {
    const classes = logits.shape[1];
    const target = tf.add(
      tf.mul(tf.oneHot(tf.cast(labels, "int32"), classes), 1 - epsilon),
      epsilon / classes,
    );
    const logProbabilities = tf.logSoftmax(logits);
    return tf.mean(tf.neg(tf.sum(tf.mul(target, logProbabilities), 1)));
  });
}
