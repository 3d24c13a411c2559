import assert from "node:assert/strict";

const root = new URL("../..", import.meta.url).pathname;
const realDataDir = Deno.env.get("PCDARTS_DATA_DIR");
const realFolder = realDataDir ? `${realDataDir}/cifar-10-batches-bin` : "";
const haveReal = (() => {
  try {
    return Deno.statSync(`${realFolder}/data_batch_1.bin`).isFile;
  } catch {
    return false;
  }
})();

async function data(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}src/cli/data.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
    env: { PCDARTS_DATA_DIR: "" },
  }).output();
  return {
    code: out.code,
    text: new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr),
  };
}

Deno.test({
  name:
    "data verify passes on the real CIFAR-10 (folder or parent) and names a changed file",
  ignore: !haveReal,
  async fn() {
    for (const dir of [realFolder, realDataDir!]) {
      const ok = await data("verify", "cifar10", "--data-dir", dir);
      assert.equal(ok.code, 0, ok.text);
      assert.match(ok.text, /verify cifar10: ok, 6 files/);
    }
    const copy = await Deno.makeTempDir();
    const folder = `${copy}/cifar-10-batches-bin`;
    await Deno.mkdir(folder);
    for (const entry of Deno.readDirSync(realFolder)) {
      if (entry.name === "data_batch_2.bin") continue;
      await Deno.symlink(
        `${realFolder}/${entry.name}`,
        `${folder}/${entry.name}`,
      );
    }
    const bytes = await Deno.readFile(`${realFolder}/data_batch_2.bin`);
    bytes[123456] ^= 0x40;
    await Deno.writeFile(`${folder}/data_batch_2.bin`, bytes);
    const bad = await data("verify", "cifar10", "--data-dir", copy);
    await Deno.remove(copy, { recursive: true });
    assert.equal(bad.code, 1);
    assert.match(
      bad.text,
      /cifar-10-batches-bin\/data_batch_2\.bin: corrupt: md5/,
    );
    assert.doesNotMatch(bad.text, /data_batch_1\.bin/);
  },
});

Deno.test("data refuses an unknown data set and explains a missing folder", async () => {
  const unknown = await data("verify", "imagenet");
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.text,
    /"imagenet" cannot be used to download; choose cifar10 or fashion-mnist/,
  );
  const missing = await data("verify", "cifar10", "--data-dir", "/nonexistent");
  assert.equal(missing.code, 1);
  assert.match(missing.text, /no cifar-10-batches-bin\/ in \/nonexistent/);
});
