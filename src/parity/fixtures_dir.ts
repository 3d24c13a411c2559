/**
 * Where the reference parity fixtures are: `PCDARTS_PARITY_DIR`, else the
 * shared folder beside the repository.
 */

/** The folder of the reference parity fixtures, or null when absent. */
export function parityFixturesDir(): string | null {
  const dir = Deno.env.get("PCDARTS_PARITY_DIR") ??
    new URL("../../../shared/fixtures/parity", import.meta.url).pathname;
  try {
    return Deno.statSync(dir).isDirectory ? dir : null;
  } catch {
    return null;
  }
}
