import assert from "node:assert/strict";
import { type KnownFile, loadCifar10, verifyCifar10 } from "./cifar10.ts";
import { classBalancedSubset } from "./splits.ts";

const fixtureDir = new URL("../../fixtures/data", import.meta.url).pathname;
const known: KnownFile[] = JSON.parse(
  await Deno.readTextFile(`${fixtureDir}/KNOWN.json`),
);
const realDataDir = Deno.env.get("PCDARTS_DATA_DIR");
const realCifar = realDataDir
  ? [`${realDataDir}/cifar-10-batches-bin`, realDataDir].find((d) => {
    try {
      return Deno.statSync(`${d}/data_batch_1.bin`).isFile;
    } catch {
      return false;
    }
  })
  : undefined;

async function copyFixture(): Promise<string> {
  const dir = await Deno.makeTempDir();
  const folder = `${dir}/cifar-10-batches-bin`;
  await Deno.mkdir(folder);
  for (const f of known) {
    await Deno.copyFile(
      `${fixtureDir}/cifar-10-batches-bin/${f.name}`,
      `${folder}/${f.name}`,
    );
  }
  return dir;
}

Deno.test("CIFAR-10 records are read as HWC with their labels", async () => {
  const train = await loadCifar10(fixtureDir, "train", { files: known });
  assert.equal(train.count, 100);
  const raw = await Deno.readFile(
    `${fixtureDir}/cifar-10-batches-bin/data_batch_2.bin`,
  );
  // Record 3 of file 2 is image 23; its pixel (y=5, x=7) channel 2.
  const p = 5 * 32 + 7;
  assert.equal(
    train.images[23 * 3072 + p * 3 + 2],
    raw[3 * 3073 + 1 + 2 * 1024 + p],
  );
  assert.equal(train.labels[23], raw[3 * 3073]);
  const test = await loadCifar10(`${fixtureDir}/cifar-10-batches-bin`, "test", {
    files: known,
  });
  assert.equal(test.count, 20);
  assert.equal(test.classNames[9], "truck");
});

Deno.test("a changed byte, a truncated file and a missing file are named", async () => {
  const dir = await copyFixture();
  const folder = `${dir}/cifar-10-batches-bin`;
  const bytes = await Deno.readFile(`${folder}/data_batch_3.bin`);
  bytes[1000] ^= 1;
  await Deno.writeFile(`${folder}/data_batch_3.bin`, bytes);
  await Deno.writeFile(`${folder}/data_batch_4.bin`, bytes.subarray(0, 5000));
  await Deno.remove(`${folder}/test_batch.bin`);
  const problems = await verifyCifar10(folder, { files: known });
  assert.deepEqual(
    problems.map((p) => [p.path.split("/").at(-1), p.problem.split(":")[0]]),
    [
      ["data_batch_3.bin", "corrupt"],
      ["data_batch_4.bin", "truncated"],
      ["test_batch.bin", "missing"],
    ],
  );
  await assert.rejects(
    loadCifar10(dir, "train", { files: known }),
    /data_batch_3\.bin: corrupt: md5/,
  );
  await assert.rejects(
    loadCifar10(dir, "test", { files: known }),
    /test_batch\.bin: missing/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a label out of range is an error naming the file, even unverified", async () => {
  const dir = await copyFixture();
  const path = `${dir}/cifar-10-batches-bin/data_batch_1.bin`;
  const bytes = await Deno.readFile(path);
  bytes[3073 * 4] = 12;
  await Deno.writeFile(path, bytes);
  await assert.rejects(
    loadCifar10(dir, "train", { files: known, verify: false }),
    /data_batch_1\.bin: record 4 has label 12/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a missing data folder says where to put the files", async () => {
  await assert.rejects(
    loadCifar10("/nonexistent/data", "train"),
    /CIFAR-10 not found in \/nonexistent\/data.*deno task data cifar10.*PCDARTS_DATA_DIR/,
  );
});

Deno.test({
  name:
    "the real CIFAR-10 loads, verified: 50,000 + 10,000 images, balanced classes",
  ignore: !realCifar,
  async fn() {
    const train = await loadCifar10(realCifar!, "train");
    assert.equal(train.count, 50000);
    const perClass = new Array(10).fill(0);
    for (const l of train.labels) perClass[l]++;
    assert.deepEqual(perClass, new Array(10).fill(5000));
    const subset = classBalancedSubset(train.labels, 10, 500);
    assert.equal(subset.length, 500);
    const test = await loadCifar10(realCifar!, "test");
    assert.equal(test.count, 10000);
  },
});
