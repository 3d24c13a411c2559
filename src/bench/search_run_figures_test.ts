import assert from "node:assert/strict";
import { join } from "node:path";
import { searchRunFigures } from "./search_run_figures.ts";
import { writeCsvAtomic } from "../io/csv_file.ts";
import { EPOCH_COLUMNS, type EpochRow } from "../search/epoch_row.ts";
import {
  ARCHITECTURE_WEIGHT_COLUMNS,
  architectureWeightRows,
} from "../search/architecture_trace.ts";
import { DARTS_V2, PC_DARTS_cifar } from "../train/genotypes.ts";
import { formatGenotype } from "../space/genotype.ts";

Deno.test("a search run folder's figures: curves with the warm-up marked, picks changed, the normal cell's settling and the cell beside PC_DARTS_cifar with the picks they share", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const cells = [DARTS_V2, DARTS_V2, PC_DARTS_cifar];
    const rows: EpochRow[] = cells.map((cell, epoch) => ({
      epoch,
      lr: 0.1,
      train_loss: 2 - epoch / 10,
      train_acc: 0.2 + epoch / 10,
      arch_loss: epoch >= 1 ? 2.1 : null,
      valid_loss: epoch === 2 ? 1.9 : null,
      valid_acc: epoch === 2 ? 0.35 : null,
      seconds: 10,
      peak_tensor_bytes: 1,
      picks_changed: epoch === 0 ? null : epoch === 1 ? 0 : 13,
      genotype: formatGenotype(cell),
    }));
    await writeCsvAtomic(join(dir, "epochs.csv"), EPOCH_COLUMNS, rows);
    const alphas = Array.from({ length: 14 * 8 }, (_, i) => (i % 8) / 10);
    const weights = [0, 1, 2].flatMap((epoch) =>
      architectureWeightRows(epoch, {
        alphasNormal: alphas,
        alphasReduce: alphas,
        betasNormal: new Array(14).fill(epoch),
        betasReduce: new Array(14).fill(0),
      })
    );
    await writeCsvAtomic(
      join(dir, "architecture_weights.csv"),
      ARCHITECTURE_WEIGHT_COLUMNS,
      weights,
    );
    await Deno.writeTextFile(
      join(dir, "config.json"),
      JSON.stringify({
        config: {
          method: "pcdarts",
          channels: 16,
          layers: 8,
          partialChannels: 4,
          batchSize: 256,
          seed: 2,
          warmupEpochs: 1,
        },
        backend: { name: "wasm", device: "a test" },
      }),
    );
    const figures = await searchRunFigures(dir, "the test search");
    assert.ok(figures);
    assert.deepEqual(figures.map((f) => f.title), [
      "Search: accuracy per epoch",
      "Search: loss per epoch",
      "Search: picks of the cell changed per epoch",
      "Search: how the normal cell settles",
      "the test search after epoch 3: normal cell",
      "PC_DARTS_cifar (the paper's cell): normal cell",
      "the test search after epoch 3: reduction cell",
      "PC_DARTS_cifar (the paper's cell): reduction cell",
    ]);
    assert.match(figures[0].caption, /K=4, batch 256, seed 2; wasm on a test/);
    assert.match(figures[0].caption, /ends the 1 warm-up epochs/);
    assert.match(figures[4].caption, /^16 of 16 .* picks shared/);
    for (const f of figures) assert.match(f.svg, /^<svg|<svg/);
    assert.equal(await searchRunFigures(join(dir, "none"), "x"), null);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
