/**
 * Writing files so that a reader never sees a half-written one: write a
 * temporary file beside the target, then rename it over the target.
 */

/** Writes `data` to `path` atomically. */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string,
): Promise<void> {
  const temporary = `${path}.${Deno.pid}.tmp`;
  if (typeof data === "string") await Deno.writeTextFile(temporary, data);
  else await Deno.writeFile(temporary, data);
  await Deno.rename(temporary, path);
}
