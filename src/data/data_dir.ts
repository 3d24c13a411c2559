/** Where data sets are looked for: `--data-dir`, then `PCDARTS_DATA_DIR`, then `./data`. */

/** The data folder to use, in that order of precedence. */
export function resolveDataDir(flag?: string): string {
  if (flag) return flag;
  let fromEnv: string | undefined;
  try {
    fromEnv = Deno.env.get("PCDARTS_DATA_DIR");
  } catch {
    // no --allow-env
  }
  return fromEnv || "./data";
}
