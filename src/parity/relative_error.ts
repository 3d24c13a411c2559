/** The relative error ‖a − b‖ / ‖b‖ used by every parity check. */

/** ‖a − b‖ / ‖b‖ (or ‖a‖ when b is all zeros); throws on a length mismatch. */
export function relativeError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): number {
  if (actual.length !== expected.length) {
    throw new Error(
      `relativeError: ${actual.length} values compared with ${expected.length}`,
    );
  }
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = actual[i] - expected[i];
    diff += d * d;
    norm += expected[i] * expected[i];
  }
  if (!Number.isFinite(diff)) return Infinity;
  return norm === 0 ? Math.sqrt(diff) : Math.sqrt(diff / norm);
}
