import assert from "node:assert/strict";
import { extractTarGz } from "./tar.ts";

function header(
  name: string,
  size: number,
  type: string,
): Uint8Array<ArrayBuffer> {
  const block = new Uint8Array(512);
  block.set(new TextEncoder().encode(name), 0);
  block.set(
    new TextEncoder().encode(size.toString(8).padStart(11, "0") + "\0"),
    124,
  );
  block[156] = type.charCodeAt(0);
  return block;
}

async function tarGz(
  entries: { name: string; data?: Uint8Array; type?: string }[],
) {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  for (const e of entries) {
    const data = e.data ?? new Uint8Array();
    parts.push(header(e.name, data.length, e.type ?? "0"));
    const padded = new Uint8Array(Math.ceil(data.length / 512) * 512);
    padded.set(data);
    parts.push(padded);
  }
  parts.push(new Uint8Array(1024));
  const stream = new Blob(parts).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("a .tar.gz extracts its folders and files", async () => {
  const dir = await Deno.makeTempDir();
  const archive = `${dir}/a.tar.gz`;
  await Deno.writeFile(
    archive,
    await tarGz([
      { name: "top/", type: "5" },
      { name: "top/a.bin", data: new Uint8Array(700).fill(7) },
      { name: "top/b.txt", data: new TextEncoder().encode("hello") },
    ]),
  );
  const written = await extractTarGz(archive, `${dir}/out`);
  assert.equal(written.length, 2);
  assert.deepEqual(
    await Deno.readFile(`${dir}/out/top/a.bin`),
    new Uint8Array(700).fill(7),
  );
  assert.equal(await Deno.readTextFile(`${dir}/out/top/b.txt`), "hello");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("an entry that would leave the destination is refused", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(
    `${dir}/evil.tar.gz`,
    await tarGz([{ name: "../evil", data: new Uint8Array(3) }]),
  );
  await assert.rejects(
    extractTarGz(`${dir}/evil.tar.gz`, `${dir}/out`),
    /refusing entry \.\.\/evil/,
  );
  await Deno.remove(dir, { recursive: true });
});
