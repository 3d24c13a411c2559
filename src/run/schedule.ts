/**
 * The cosine learning-rate schedule of the reference searches
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
