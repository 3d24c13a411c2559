import assert from "node:assert/strict";
import { stringify } from "csv-stringify/sync";
import {
  ablationGridFigures,
  ablationPoints,
  changedPerEpoch,
  meanAgreement,
} from "./ablation_figures.ts";
import { DARTS_V1, DARTS_V2, PC_DARTS_cifar } from "../train/genotypes.ts";
import { formatGenotype } from "../space/genotype.ts";
import { sharedPicks } from "../search/architecture_trace.ts";

const cells = [PC_DARTS_cifar, DARTS_V2, DARTS_V1].map(formatGenotype);

const MANIFEST = [
  // index, method, seed, arm, partial_channels, edge_normalization, batch_size, search_lr
  ["0", "pcdarts", "0", "", "", "", "", ""],
  ["1", "darts1", "0", "", "", "", "", ""],
  ["2", "pcdarts", "0", "k2", "2", "", "", ""],
  ["3", "pcdarts", "0", "k4-noen", "", "false", "", ""],
  ["4", "pcdarts", "0", "b256", "", "", "256", ""],
  ["5", "pcdarts", "1", "", "", "", "", ""],
].map(([index, method, seed, arm, k, en, batch, lr]) => ({
  index,
  method,
  seed,
  size: "cpu",
  backend: "wasm",
  arm,
  budget: "e15",
  partial_channels: k,
  edge_normalization: en,
  batch_size: batch,
  search_lr: lr,
}));

Deno.test("ablation points take K, edge normalization and batch from the manifest, else from the method at the row's size", async () => {
  const rows = MANIFEST.map((m, i) => ({
    index: m.index,
    test_error: String(0.3 + i / 100),
    genotype: cells[i % 3],
  }));
  // Row 0's search changed its cell twice in its last epochs; the others
  // keep no trace.
  const epochs = [cells[0], cells[1], cells[1], cells[0]].map((genotype) => ({
    genotype,
  }));
  const points = await ablationPoints(
    MANIFEST,
    rows,
    (m) => Promise.resolve(m.index === "0" ? epochs : null),
  );
  assert.deepEqual(
    points.map((p) => [p.arm, p.k, p.edgeNormalization, p.batchSize]),
    [
      ["pcdarts", 4, true, 64],
      ["darts1", 1, false, 64],
      ["k2", 2, true, 64],
      ["k4-noen", 4, false, 64],
      ["b256", 4, true, 256],
      ["pcdarts", 4, true, 64],
    ],
  );
  assert.deepEqual(points.map((p) => p.changesBatch), [
    false,
    false,
    false,
    false,
    true,
    false,
  ]);
  const change = 16 - sharedPicks(PC_DARTS_cifar, DARTS_V2);
  assert.ok(change > 0);
  assert.deepEqual(changedPerEpoch(epochs), [change, 0, change]);
  assert.equal(points[0].changedLast, (2 * change) / 3);
  assert.equal(points[1].changedLast, null);
  // Rows 0 and 5 (the method's own arm) hold cells 0 and 2.
  assert.equal(
    meanAgreement([points[0], points[5]]),
    sharedPicks(PC_DARTS_cifar, DARTS_V1),
  );
  assert.equal(meanAgreement([points[0]]), null);
});

Deno.test("an ablation grid folder gives the K, stability, agreement and batch figures, reading traces from a second grid where its own has none", async () => {
  const dir = await Deno.makeTempDir();
  const other = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(
      `${dir}/manifest.csv`,
      stringify(MANIFEST, { header: true }),
    );
    await Deno.writeTextFile(
      `${dir}/error.csv`,
      stringify(
        MANIFEST.map((m, i) => ({
          index: m.index,
          test_error: 0.3 + i / 100,
          genotype: cells[i % 3],
        })),
        { header: true },
      ),
    );
    const trace = stringify(
      [cells[0], cells[1], cells[0]].map((genotype) => ({ genotype })),
      { header: true },
    );
    await Deno.mkdir(`${other}/runs/pcdarts-e15-s0/search`, {
      recursive: true,
    });
    await Deno.writeTextFile(
      `${other}/runs/pcdarts-e15-s0/search/epochs.csv`,
      trace,
    );
    await Deno.mkdir(`${dir}/runs/pcdarts-k2-e15-s0/search`, {
      recursive: true,
    });
    await Deno.writeTextFile(
      `${dir}/runs/pcdarts-k2-e15-s0/search/epochs.csv`,
      trace,
    );
    const figures = await ablationGridFigures(dir, [other]);
    assert.deepEqual(figures.map((f) => f.title), [
      "Ablation: test error vs K",
      "Ablation: search stability vs K",
      "Ablation: cross-seed agreement vs K",
      "Ablation: batch 256 against batch 64",
    ]);
    for (const f of figures) assert.match(f.svg, /<svg/);
    // A grid without arms (the budget sweep) has no ablation figures.
    await Deno.writeTextFile(
      `${other}/manifest.csv`,
      stringify(MANIFEST.map((m) => ({ ...m, arm: "" })), { header: true }),
    );
    await Deno.copyFile(`${dir}/error.csv`, `${other}/error.csv`);
    assert.deepEqual(await ablationGridFigures(other), []);
  } finally {
    await Deno.remove(dir, { recursive: true });
    await Deno.remove(other, { recursive: true });
  }
});
