import assert from "node:assert/strict";
import { join } from "node:path";
import type { Genotype } from "../space/genotype.ts";
import { PC_DARTS_cifar } from "../train/genotypes.ts";
import {
  changedPicks,
  parameterFreeNormalEdges,
} from "../search/architecture_trace.ts";
import {
  planGrid,
  readManifest,
  warmupFor,
  writeManifest,
} from "./manifest.ts";
import { rowTrainConfig } from "./row_runner.ts";
import { runFolder } from "./grid_paths.ts";

Deno.test("a budget sweep plans each search method at each budget, warm-up at its reference share, and each reference cell once per seed", () => {
  const rows = planGrid({
    size: "cpu",
    seeds: [0, 1],
    backend: "wasm",
    methods: ["pcdarts", "darts1", "PC_DARTS_cifar"],
    searchEpochs: [15, 5, 40],
    train: { epochs: 10, subset: 20000 },
  });
  assert.equal(rows.length, 2 * (2 * 3 + 1));
  // The reference cells first, then whole budgets, smallest first.
  assert.deepEqual(
    rows.map((r) => `${r.method}${r.budget ? `-${r.budget}` : ""}-s${r.seed}`),
    [
      "PC_DARTS_cifar-s0",
      "PC_DARTS_cifar-s1",
      "pcdarts-e5-s0",
      "darts1-e5-s0",
      "pcdarts-e5-s1",
      "darts1-e5-s1",
      "pcdarts-e15-s0",
      "darts1-e15-s0",
      "pcdarts-e15-s1",
      "darts1-e15-s1",
      "pcdarts-e40-s0",
      "darts1-e40-s0",
      "pcdarts-e40-s1",
      "darts1-e40-s1",
    ],
  );
  assert.deepEqual(rows.map((r) => r.index), [...rows.keys()]);
  const pc = rows.filter((r) => r.method === "pcdarts" && r.seed === 0);
  assert.deepEqual(
    pc.map((r) => [r.budget, r.search_epochs, r.warmup_epochs]),
    [["e5", 5, 2], ["e15", 15, 5], ["e40", 40, 12]],
  );
  assert.equal(warmupFor("darts1", 40), 0);
  const cell = rows.find((r) => r.method === "PC_DARTS_cifar")!;
  assert.equal(cell.budget, undefined);
  assert.equal(cell.train_epochs, 10);
  const config = rowTrainConfig(cell);
  assert.equal(config.epochs, 10);
  assert.equal(config.subset, 20000);
  // Budgets get run folders of their own.
  assert.notEqual(runFolder("g", pc[0]), runFolder("g", pc[1]));
  assert.equal(runFolder("g", cell), "g/runs/PC_DARTS_cifar-s0");
  assert.throws(
    () =>
      planGrid({ size: "cpu", seeds: [0], backend: "wasm", searchEpochs: [0] }),
    /a search budget must be a positive number of epochs, got 0/,
  );
});

Deno.test("a manifest with per-row settings reads back as written, and one without them still reads", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const rows = planGrid({
      size: "smoke",
      seeds: [3],
      backend: "cpu",
      methods: ["darts1", "random"],
      searchEpochs: [2, 4],
      train: { imageSide: 16 },
    });
    const path = await writeManifest(dir, rows);
    assert.deepEqual(await readManifest(path), rows);
    const old = join(dir, "old.csv");
    await Deno.writeTextFile(
      old,
      "index,method,seed,size,backend\n0,pcdarts,0,cpu,wasm\n",
    );
    assert.deepEqual(await readManifest(old), [
      { index: 0, method: "pcdarts", seed: 0, size: "cpu", backend: "wasm" },
    ]);
    await Deno.writeTextFile(
      old,
      "index,method,seed,size,backend,train_epochs\n0,pcdarts,0,cpu,wasm,-2\n",
    );
    await assert.rejects(() => readManifest(old), /line 2 is/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("settling measures: edges changed between two cells (order within a node aside) and parameter-free normal edges", () => {
  const a: Genotype = structuredClone(PC_DARTS_cifar);
  assert.equal(changedPicks(a, a), 0);
  const b: Genotype = structuredClone(PC_DARTS_cifar);
  // Swapping a node's two edges changes nothing; a new op on one edge, one.
  [b.normal[0], b.normal[1]] = [b.normal[1], b.normal[0]];
  assert.equal(changedPicks(a, b), 0);
  b.reduce[3] = ["max_pool_3x3", 2];
  assert.equal(changedPicks(a, b), 1);
  // PC_DARTS_cifar's normal cell: one skip connection and one average pool.
  assert.equal(parameterFreeNormalEdges(PC_DARTS_cifar), 2);
});
