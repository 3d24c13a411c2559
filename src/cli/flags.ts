/** Command-line flag parsing shared by the commands. */

/** A numeric flag's value, undefined when absent; a clear error when not a number. */
export function numberFlag(
  value: string | undefined,
  name: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) {
    throw new Error(`--${name} must be a number, got "${value}"`);
  }
  return n;
}
