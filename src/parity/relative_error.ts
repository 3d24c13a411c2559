/** The relative errors the parity checks use. */

/** ‖a − b‖ and ‖b‖; throws on a length mismatch. */
function norms(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): { diff: number; norm: number } {
  if (actual.length !== expected.length) {
    throw new Error(
      `relative error: ${actual.length} values compared with ${expected.length}`,
    );
  }
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = actual[i] - expected[i];
    diff += d * d;
    norm += expected[i] * expected[i];
  }
  return { diff: Math.sqrt(diff), norm: Math.sqrt(norm) };
}

/** ‖a − b‖ / ‖b‖ (or ‖a‖ when b is all zeros); throws on a length mismatch. */
export function relativeError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): number {
  const { diff, norm } = norms(actual, expected);
  if (!Number.isFinite(diff)) return Infinity;
  return norm === 0 ? diff : diff / norm;
}

/**
 * ‖a − b‖ / max(‖b‖, 1e-3·√n), n the element count: the relative error of a
 * stored result, with a floor for results near zero (the running mean of a
 * zero-mean map), as the search-step fixtures define it.
 */
export function flooredRelativeError(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
): number {
  const { diff, norm } = norms(actual, expected);
  if (!Number.isFinite(diff)) return Infinity;
  return diff / Math.max(norm, 1e-3 * Math.sqrt(expected.length));
}
