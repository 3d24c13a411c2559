/**
 * Index sets of the search protocol: a class-balanced subset for reduced runs,
 * and the reference's split of the training images into a weight-training part
 * (the first `floor(portion * n)`) and an architecture-training part (the rest).
 */

/**
 * The first `count / numClasses` images of each class in index order (the
 * remainder goes to the lowest classes), returned in index order. Throws when
 * a class has too few images.
 */
export function classBalancedSubset(
  labels: ArrayLike<number>,
  numClasses: number,
  count: number,
): Int32Array {
  if (!Number.isInteger(count) || count < numClasses) {
    throw new Error(
      `subset: ${count} images cannot hold every one of ${numClasses} classes; use at least ${numClasses}`,
    );
  }
  const quota = Array.from(
    { length: numClasses },
    (_, c) => Math.floor(count / numClasses) + (c < count % numClasses ? 1 : 0),
  );
  const chosen: number[] = [];
  for (let i = 0; i < labels.length && chosen.length < count; i++) {
    const label = labels[i];
    if (quota[label] > 0) {
      quota[label]--;
      chosen.push(i);
    }
  }
  if (chosen.length < count) {
    const short = quota.map((q, c) => (q > 0 ? `class ${c} lacks ${q}` : ""))
      .filter(
        Boolean,
      );
    throw new Error(
      `subset of ${count}: not enough images (${short.join(", ")})`,
    );
  }
  return Int32Array.from(chosen);
}

/** The reference split: first `floor(portion * n)` for weights, the rest for the architecture. */
export function splitTrainValidation(
  indices: ArrayLike<number>,
  trainPortion: number,
): { train: Int32Array; validation: Int32Array } {
  if (!(trainPortion > 0 && trainPortion < 1)) {
    throw new Error(`train portion must be in (0, 1), got ${trainPortion}`);
  }
  const all = Int32Array.from(indices);
  const split = Math.floor(trainPortion * all.length);
  return { train: all.slice(0, split), validation: all.slice(split) };
}

/** 0, 1, …, n − 1. */
export function range(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}
