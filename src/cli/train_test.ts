import assert from "node:assert/strict";
import { killAfterFirstEpoch } from "../testing/interrupt.ts";
import { parse } from "csv-parse/sync";

const root = new URL("../..", import.meta.url).pathname;
const fixtureData = `${root}fixtures/data`;

function trainCommand(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}src/cli/train.ts`, ...args],
    stdout: "piped",
    stderr: "piped",
  });
}

async function train(args: string[]) {
  const out = await trainCommand(args).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  return { code: out.code, text, last: text.trim().split("\n").at(-1) ?? "" };
}

Deno.test("--count-params prints the reference counts", async () => {
  const paper = await train(["--genotype", "PC_DARTS_cifar", "--count-params"]);
  assert.equal(paper.last, "params: 3634678");
  assert.match(
    paper.text,
    /multiply-adds: 556670592 \(one 32x32 image: convolutions and linear layers\)/,
  );
  const small = await train([
    "--genotype",
    "DARTS_V1",
    "--count-params",
    "--channels",
    "16",
    "--layers",
    "8",
    "--auxiliary",
    "false",
  ]);
  assert.equal(small.last, "params: 232890");
});

const TINY = [
  "--data-dir",
  fixtureData,
  "--no-verify",
  "--size",
  "smoke",
  "--channels",
  "4",
  "--layers",
  "3",
  "--subset",
  "40",
  "--batch-size",
  "10",
  "--epochs",
  "3",
  "--test-subset",
  "20",
  "--quiet",
  "--backend",
  "wasm",
];

Deno.test("training killed after an epoch and resumed ends with the same rows and error", async () => {
  const whole = await Deno.makeTempDir();
  const full = await train(["--genotype", "DARTS_V2", ...TINY, "--out", whole]);
  assert.equal(full.code, 0, full.text);
  assert.match(
    full.last,
    /^test error: \d+\.\d\d% \(final epoch, 20 test images\), params: \d+$/,
  );

  const broken = await Deno.makeTempDir();
  const status = await killAfterFirstEpoch(
    trainCommand([
      "--genotype",
      "DARTS_V2",
      ...TINY,
      "--out",
      broken,
    ]),
    broken,
  );
  assert.equal(status.success, false, "the run was interrupted");
  const resumed = await train([
    "--resume",
    broken,
    "--backend",
    "wasm",
    "--quiet",
  ]);
  assert.equal(resumed.code, 0, resumed.text);
  assert.equal(resumed.last, full.last);
  const strip = (csv: string) =>
    (parse(csv, { columns: true }) as Record<string, string>[]).map((
      { seconds: _, ...rest },
    ) => rest);
  assert.deepEqual(
    strip(await Deno.readTextFile(`${broken}/epochs.csv`)),
    strip(await Deno.readTextFile(`${whole}/epochs.csv`)),
  );
  await Deno.remove(whole, { recursive: true });
  await Deno.remove(broken, { recursive: true });
});

Deno.test("an unknown genotype name says which exist", async () => {
  const { code, text } = await train([
    "--genotype",
    "NASNet",
    "--count-params",
  ]);
  assert.notEqual(code, 0);
  assert.match(
    text,
    /"NASNet" is neither a built-in genotype \(PC_DARTS_cifar, PC_DARTS_image, DARTS_V1, DARTS_V2, random\)/,
  );
});

Deno.test("--recompute-cells trains to the plain run's losses and is kept in config.json", async () => {
  const dirs = [await Deno.makeTempDir(), await Deno.makeTempDir()];
  try {
    const args = [
      "--genotype",
      "PC_DARTS_cifar",
      ...TINY,
      "--drop-path",
      "0.2",
    ];
    const plain = await train([...args, "--out", dirs[0]]);
    assert.equal(plain.code, 0, plain.text);
    const again = await train([...args, "--recompute-cells", "--out", dirs[1]]);
    assert.equal(again.code, 0, again.text);
    const config = JSON.parse(
      await Deno.readTextFile(`${dirs[1]}/config.json`),
    );
    assert.equal(config.config.recomputeCells, true);
    const rows = async (dir: string) =>
      parse(await Deno.readTextFile(`${dir}/epochs.csv`), {
        columns: true,
      }) as Record<string, string>[];
    const [a, b] = [await rows(dirs[0]), await rows(dirs[1])];
    assert.equal(b.length, a.length);
    for (let i = 0; i < a.length; i++) {
      const gap = Math.abs(Number(a[i].train_loss) - Number(b[i].train_loss));
      assert.ok(
        gap < 1e-4,
        `epoch ${i + 1}: losses ${a[i].train_loss} and ${b[i].train_loss}`,
      );
    }
  } finally {
    for (const dir of dirs) await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a training step too large for the backend is refused before the run folder exists, with what to do", async () => {
  const parent = await Deno.makeTempDir();
  try {
    const out = `${parent}/run`;
    const tiny = TINY.map((a, i) =>
      TINY[i - 1] === "--batch-size" ? "100000" : a
    );
    const result = await train([
      "--genotype",
      "DARTS_V2",
      ...tiny,
      "--out",
      out,
    ]);
    assert.equal(result.code, 1, result.text);
    assert.match(
      result.text,
      /train: one step needs about [\d.]+ GiB of tensors with its cells recomputed \(measured at batches 2 and 4 on wasm, extrapolated\), against the 4\.0 GiB the wasm backend can hold\. Nothing was started\. Choose .*a smaller --batch-size/,
    );
    assert.throws(() => Deno.statSync(out), Deno.errors.NotFound);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});
