import assert from "node:assert/strict";
import { killAfterFirstEpoch } from "../testing/interrupt.ts";
import { cliCommand, runCli } from "../testing/cli_command.ts";
import { parse } from "csv-parse/sync";
import { parseGenotype, validateSearchedCell } from "../space/genotype.ts";
import { PROCESS_COLUMNS } from "../search/epoch_row.ts";
import { builtPackage } from "../backends/tensorflow/package.ts";

const root = new URL("../..", import.meta.url).pathname;
const fixtureData = `${root}fixtures/data`;
const realDataDir = Deno.env.get("PCDARTS_DATA_DIR");
const haveReal = (() => {
  try {
    return Deno.statSync(`${realDataDir}/cifar-10-batches-bin/data_batch_1.bin`)
      .isFile;
  } catch {
    return false;
  }
})();

const searchCommand = (args: string[]) => cliCommand("search.ts", args);
const search = (args: string[]) => runCli("search.ts", args);

Deno.test({
  name: "the smoke search on the real CIFAR-10 finishes with a valid genotype",
  ignore: !haveReal,
  async fn() {
    const outDir = await Deno.makeTempDir();
    const { code, text } = await search([
      "cifar10",
      "--size",
      "smoke",
      "--backend",
      "wasm",
      "--out",
      outDir,
      "--quiet",
    ]);
    assert.equal(code, 0, text);
    const genotype = parseGenotype(
      await Deno.readTextFile(`${outDir}/genotype.json`),
    );
    for (const cell of [genotype.normal, genotype.reduce]) {
      assert.equal(cell.length, 8);
      assert.deepEqual(validateSearchedCell(cell), []);
    }
    assert.match(text, /search cost: .* CPU-days/);
    const rows = parse(await Deno.readTextFile(`${outDir}/epochs.csv`), {
      columns: true,
    });
    assert.equal(rows.length, 2);
    assert.notEqual(rows[1].valid_acc, "");
    for (const row of rows) {
      // Each buffer once, so at most tfjs' count, which adds views and clones.
      const buffers = +row.peak_buffer_bytes;
      assert.ok(
        buffers > 0 && buffers <= +row.peak_tensor_bytes,
        `${buffers} of ${row.peak_tensor_bytes}`,
      );
    }
    assert.match(text, /in buffers, each once: [0-9.]+ MiB/);
    const config = JSON.parse(await Deno.readTextFile(`${outDir}/config.json`));
    assert.equal(config.config.partialChannels, 4);
    assert.match(config.environment.gitCommit, /^[0-9a-f]{40}$|^unknown$/);
    await Deno.remove(outDir, { recursive: true });
  },
});

const TINY = [
  "cifar10",
  "--data-dir",
  fixtureData,
  "--no-verify",
  "--size",
  "smoke",
  "--subset",
  "20",
  "--batch-size",
  "5",
  "--layers",
  "2",
  "--epochs",
  "3",
  "--warmup-epochs",
  "1",
  "--quiet",
];

function withoutTimings(csv: string) {
  const rows = parse(csv, { columns: true }) as Record<string, string>[];
  return rows.map((r) => {
    for (const c of PROCESS_COLUMNS) delete r[c];
    return r;
  });
}

const resumeBackends = builtPackage() === null
  ? ["cpu", "wasm"]
  : ["cpu", "wasm", "tensorflow"];
for (const backend of resumeBackends) {
  Deno.test(`a search killed after an epoch and resumed equals an uninterrupted one (${backend})`, async () => {
    const whole = await Deno.makeTempDir();
    const full = await search([...TINY, "--backend", backend, "--out", whole]);
    assert.equal(full.code, 0, full.text);

    const broken = await Deno.makeTempDir();
    const status = await killAfterFirstEpoch(
      searchCommand([
        ...TINY,
        "--backend",
        backend,
        "--out",
        broken,
      ]),
      broken,
    );
    assert.equal(status.success, false, "the run was interrupted");
    assert.equal(
      withoutTimings(await Deno.readTextFile(`${broken}/epochs.csv`)).length <
        3,
      true,
    );

    // Each epoch records the process's CPU seconds beside its wall seconds.
    const timed = parse(await Deno.readTextFile(`${whole}/epochs.csv`), {
      columns: true,
    }) as Record<string, string>[];
    for (const row of timed) {
      assert.ok(Number(row.cpu_seconds) > 0, `cpu_seconds ${row.cpu_seconds}`);
    }

    const resumed = await search([
      "--resume",
      broken,
      "--backend",
      backend,
      "--quiet",
    ]);
    assert.equal(resumed.code, 0, resumed.text);
    assert.deepEqual(
      withoutTimings(await Deno.readTextFile(`${broken}/epochs.csv`)),
      withoutTimings(await Deno.readTextFile(`${whole}/epochs.csv`)),
    );
    assert.equal(
      await Deno.readTextFile(`${broken}/genotype.json`),
      await Deno.readTextFile(`${whole}/genotype.json`),
    );
    await Deno.remove(whole, { recursive: true });
    await Deno.remove(broken, { recursive: true });
  });
}

Deno.test("bad search arguments get a clear error", async () => {
  const unknown = await search(["cifar10", "--method", "enas"]);
  assert.equal(unknown.code, 2);
  assert.match(
    unknown.text,
    /unknown method "enas"; choose pcdarts, darts1, darts2/,
  );
  // Shapes that partial channels cannot split are rejected before a backend
  // starts or a run folder is created.
  const parent = await Deno.makeTempDir();
  const outDir = `${parent}/run`;
  const indivisible = await search([
    ...TINY,
    "--channels",
    "6",
    "--layers",
    "3",
    "--backend",
    "wasm",
    "--out",
    outDir,
  ]);
  assert.equal(indivisible.code, 2, indivisible.text);
  assert.match(indivisible.text, /cell 0 has 6 channels, not divisible by K=4/);
  const odd = await search([
    ...TINY,
    "--channels",
    "6",
    "--backend",
    "wasm",
    "--out",
    outDir,
  ]);
  assert.equal(odd.code, 2, odd.text);
  assert.match(odd.text, /processes 12\/4 = 3 channels.*needs an even number/);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(parent)), []);
  await Deno.remove(parent, { recursive: true });
});

Deno.test({
  name:
    "a paper-size search on wasm stops before it starts: the step needs more than the 4 GiB heap, and the message says what to do",
  ignore: !haveReal,
  async fn() {
    const parent = await Deno.makeTempDir();
    const outDir = `${parent}/run`;
    try {
      const { code, text } = await search([
        "cifar10",
        "--backend",
        "wasm",
        "--no-verify",
        "--out",
        outDir,
      ]);
      assert.equal(code, 1, text);
      assert.match(
        text,
        /one paper-size search step \(batch 256, C=16, 8 layers\) needs about [\d.]+ GiB of tensors .*the wasm backend's heap holds at most 4\.0 GiB\. Nothing was started\./,
      );
      for (
        const advice of [
          // Set up where it is not, else named.
          builtPackage() === null
            ? "deno task setup tensorflow"
            : "--backend tensorflow",
          "--size small or smoke",
          "--recompute-cells",
          "--batch-size",
        ]
      ) assert.ok(text.includes(advice), `no "${advice}" in: ${text}`);
      assert.throws(() => Deno.statSync(outDir), Deno.errors.NotFound);
    } finally {
      await Deno.remove(parent, { recursive: true });
    }
  },
});

Deno.test("resuming a damaged run folder stops with status 1 and names the damaged file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cases: [string | null, RegExp][] = [
      [null, /is not a run folder: it has no config\.json/],
      ["garbage{", /config\.json is damaged: not JSON/],
      ['{"other": 1}', /config\.json is damaged: it has no "config" object/],
      [
        '{"config": {"method": "pcdarts", "size": "smoke"}}',
        /config\.json is damaged: "config\.dataset" is missing/,
      ],
      [
        '{"config": {"method": "nas", "size": "smoke"}}',
        /config\.json is damaged: unknown method "nas"/,
      ],
    ];
    for (const [content, message] of cases) {
      await Deno.remove(`${dir}/config.json`).catch(() => {});
      if (content !== null) {
        await Deno.writeTextFile(`${dir}/config.json`, content);
      }
      const { code, text } = await search(["--resume", dir]);
      assert.equal(code, 1, text);
      assert.match(text, message);
      assert.ok(text.includes(dir), text);
      assert.ok(!text.includes("Cannot read properties"), text);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "resuming a run whose checkpoint is damaged stops with status 1 and names the checkpoint",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const run = await search([...TINY, "--out", dir]);
      assert.equal(run.code, 0, run.text);
      const path = `${dir}/checkpoint.safetensors`;
      const bytes = await Deno.readFile(path);
      await Deno.writeFile(path, bytes.slice(0, 100));
      const { code, text } = await search(["--resume", dir, "--quiet"]);
      assert.equal(code, 1, text);
      assert.match(
        text,
        /checkpoint\.safetensors: .*truncated or not safetensors/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
