/**
 * Learning-rate schedules, per epoch. The cosine schedule of the reference searches
 * (`CosineAnnealingLR(T_max = epochs, eta_min)` stepped at the start of each
 * epoch): epoch e of E uses `min + (max − min) · (1 + cos(π e / E)) / 2`.
 */

/** Learning rate of `epoch` (0-based) out of `epochs`. */
export function cosineLearningRate(
  epoch: number,
  epochs: number,
  max: number,
  min: number,
): number {
  return min + ((max - min) * (1 + Math.cos((Math.PI * epoch) / epochs))) / 2;
}

/**
 * The reference's ImageNet training schedule (train_imagenet.py, `linear`): a
 * linear decay to 0 over the first `epochs − 5` epochs, a smaller slope over
 * the last 5; and, for batches above 256, a linear warm-up over the first 5
 * epochs (epoch e < 5 takes (e + 1) / 5 of it). Both slopes meet at epoch
 * E − 5, where the first reaches 0 and the second gives max / (E − 5).
 */
export function imageNetLearningRate(
  epoch: number,
  epochs: number,
  max: number,
  batchSize: number,
): number {
  // Runs of 5 epochs or fewer (quick ones) decay linearly over all of them.
  const lr = epochs <= 5
    ? (max * (epochs - epoch)) / epochs
    : epochs - epoch > 5
    ? (max * (epochs - 5 - epoch)) / (epochs - 5)
    : (max * (epochs - epoch)) / ((epochs - 5) * 5);
  return epoch < 5 && batchSize > 256 ? (lr * (epoch + 1)) / 5 : lr;
}

/**
 * The reference's ImageNet search schedule (train_search_imagenet.py): the
 * cosine schedule, except that for batches above 256 epoch e < 5 runs at
 * (e + 1) / 5 of the initial rate (a linear warm-up).
 */
export function warmCosineLearningRate(
  epoch: number,
  epochs: number,
  max: number,
  min: number,
  batchSize: number,
): number {
  return epoch < 5 && batchSize > 256
    ? (max * (epoch + 1)) / 5
    : cosineLearningRate(epoch, epochs, max, min);
}
