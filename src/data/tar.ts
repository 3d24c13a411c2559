/**
 * Extracting a gzipped tar archive (ustar) with Web streams: regular files and
 * folders only, and no entry may leave the destination folder.
 */

function readString(block: Uint8Array, start: number, length: number): string {
  const slice = block.subarray(start, start + length);
  const end = slice.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? slice.subarray(0, end) : slice);
}

function readOctal(block: Uint8Array, start: number, length: number): number {
  const text = readString(block, start, length).trim();
  return text === "" ? 0 : parseInt(text, 8);
}

/** Concatenates chunks as they come and hands out exact-length pieces. */
class ByteQueue {
  #chunks: Uint8Array[] = [];
  #length = 0;
  constructor(readonly reader: ReadableStreamDefaultReader<Uint8Array>) {}

  async take(length: number): Promise<Uint8Array | null> {
    while (this.#length < length) {
      const { value, done } = await this.reader.read();
      if (done) return null;
      this.#chunks.push(value);
      this.#length += value.length;
    }
    const out = new Uint8Array(length);
    let filled = 0;
    while (filled < length) {
      const chunk = this.#chunks[0];
      const used = Math.min(chunk.length, length - filled);
      out.set(chunk.subarray(0, used), filled);
      filled += used;
      if (used === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(used);
    }
    this.#length -= length;
    return out;
  }
}

/** Extracts `archive` (a .tar.gz) into `destination`; returns the paths written. */
export async function extractTarGz(
  archive: string,
  destination: string,
): Promise<string[]> {
  const file = await Deno.open(archive);
  const stream = file.readable.pipeThrough(new DecompressionStream("gzip"));
  const queue = new ByteQueue(stream.getReader());
  const written: string[] = [];
  await Deno.mkdir(destination, { recursive: true });
  while (true) {
    const header = await queue.take(512);
    if (!header || header.every((b) => b === 0)) break;
    const name = readString(header, 0, 100);
    const prefix = readString(header, 345, 155);
    const path = prefix ? `${prefix}/${name}` : name;
    const size = readOctal(header, 124, 12);
    const type = String.fromCharCode(header[156] || 48);
    if (path.startsWith("/") || path.split("/").includes("..")) {
      throw new Error(
        `${archive}: refusing entry ${path} outside the destination`,
      );
    }
    const data = size > 0
      ? await queue.take(Math.ceil(size / 512) * 512)
      : new Uint8Array();
    if (data === null) throw new Error(`${archive}: truncated inside ${path}`);
    const target = `${destination}/${path}`.replace(/\/+$/, "");
    if (type === "5") {
      await Deno.mkdir(target, { recursive: true });
    } else if (type === "0") {
      await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), {
        recursive: true,
      });
      await Deno.writeFile(target, data.subarray(0, size));
      written.push(target);
    }
  }
  return written;
}
