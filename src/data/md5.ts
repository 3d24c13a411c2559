/** MD5 of a file, streamed (node:crypto; WebCrypto has no MD5). */
import { createHash } from "node:crypto";

/** Hex MD5 of bytes. */
export function md5Hex(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/** Hex MD5 of a file, read in chunks. */
export async function md5File(path: string): Promise<string> {
  const hash = createHash("md5");
  using file = await Deno.open(path, { read: true });
  for await (const chunk of file.readable) hash.update(chunk);
  return hash.digest("hex");
}
