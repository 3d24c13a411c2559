/**
 * The commands as a user runs them: with no `PCDARTS_THREADS` (the test task
 * pins it to 1), so that wasm starts its threaded build at the default thread
 * count, and with a time limit, so that a hang fails the test.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { runCli } from "../testing/cli_command.ts";
import { writeJpegTree } from "../testing/jpeg_tree.ts";
import { turboJpegAvailable } from "../data/jpeg/turbojpeg.ts";
import { defaultThreads } from "../backends/wasm/wasm_options.ts";

const root = new URL("../..", import.meta.url).pathname;
const fixtureData = `${root}fixtures/data`;
const dataDir = Deno.env.get("PCDARTS_DATA_DIR");
const AT_DEFAULTS = { defaults: true, timeoutMs: 240_000 };

/** The wasm thread count a run folder's config.json records. */
async function recordedThreads(outDir: string): Promise<number> {
  const saved = JSON.parse(
    await Deno.readTextFile(join(outDir, "config.json")),
  );
  return saved.execution.threads;
}

Deno.test("search and train on CIFAR-10 run at the default thread count", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = ["--data-dir", fixtureData, "--no-verify", "--quiet"];
    const searched = join(dir, "search");
    const search = await runCli("search.ts", [
      "cifar10",
      "--size",
      "smoke",
      "--subset",
      "80",
      "--out",
      searched,
      ...data,
    ], AT_DEFAULTS);
    assert.equal(search.code, 0, search.text);
    assert.equal(await recordedThreads(searched), defaultThreads());
    const trained = join(dir, "train");
    const train = await runCli("train.ts", [
      "--genotype",
      join(searched, "genotype.json"),
      "--size",
      "smoke",
      "--subset",
      "40",
      "--batch-size",
      "10",
      "--epochs",
      "1",
      "--test-subset",
      "20",
      "--out",
      trained,
      ...data,
    ], AT_DEFAULTS);
    assert.equal(train.code, 0, train.text);
    assert.equal(await recordedThreads(trained), defaultThreads());
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "search and train on a tree of ImageNet JPEGs run at the default thread count (the decode worker serves batches under the threaded build)",
  ignore: !turboJpegAvailable(),
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const tree = writeJpegTree(join(dir, "tree"), {
        classes: 3,
        perClass: 40,
      });
      const searched = join(dir, "search");
      const search = await runCli("search.ts", [
        "imagenet",
        "--size",
        "smoke",
        "--data-dir",
        tree.root,
        "--out",
        searched,
        "--quiet",
      ], AT_DEFAULTS);
      assert.equal(search.code, 0, search.text);
      assert.equal(await recordedThreads(searched), defaultThreads());
      const trained = join(dir, "train");
      const train = await runCli("train.ts", [
        "--dataset",
        "imagenet",
        "--size",
        "smoke",
        "--genotype",
        "PC_DARTS_image",
        "--data-dir",
        tree.root,
        "--out",
        trained,
        "--quiet",
      ], AT_DEFAULTS);
      assert.equal(train.code, 0, train.text);
      assert.equal(await recordedThreads(trained), defaultThreads());
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("bench's step suite runs at the default thread count", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bench = await runCli("bench.ts", [
      "--suite",
      "step",
      "--config",
      "tiny",
      "--steps",
      "1",
      "--out",
      dir,
      "--quiet",
    ], AT_DEFAULTS);
    assert.equal(bench.code, 0, bench.text);
    const [row] = parse(await Deno.readTextFile(join(dir, "step-tiny.csv")), {
      columns: true,
    }) as Record<string, string>[];
    // The execution options name the thread count when it is above one.
    const threads = /threads (\d+)/.exec(row.execution)?.[1] ?? "1";
    assert.equal(Number(threads), defaultThreads(), row.execution);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a grid row runs at the default thread count",
  ignore: dataDir === undefined,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const plan = await runCli("grid.ts", [
        "plan",
        "--size",
        "smoke",
        "--seeds",
        "1",
        "--methods",
        "pcdarts",
        "--out",
        dir,
      ], AT_DEFAULTS);
      assert.equal(plan.code, 0, plan.text);
      const run = await runCli("grid.ts", [
        "run",
        join(dir, "manifest.csv"),
        "--index",
        "0",
        "--data-dir",
        dataDir!,
        "--no-verify",
      ], AT_DEFAULTS);
      assert.equal(run.code, 0, run.text);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
