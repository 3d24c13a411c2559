import assert from "node:assert/strict";
import { sizeRows } from "./size_table.ts";
import { SEARCH_SIZES } from "../search/search_config.ts";
import { TRAIN_SIZES } from "../train/train_config.ts";
import { STEP_CONFIGS } from "../bench/suite_measurements.ts";

Deno.test("the size table gives every use's every size one row, and the search's paper row is the paper's setting", () => {
  const rows = sizeRows();
  const keys = rows.map((r) => `${r.use} ${r.name}`);
  assert.equal(new Set(keys).size, keys.length);
  const names = (use: string) =>
    rows.filter((r) => r.use === use).map((r) => r.name);
  assert.deepEqual(names("search --size"), [...SEARCH_SIZES]);
  assert.deepEqual(names("train --size"), [...TRAIN_SIZES]);
  assert.deepEqual(
    names("bench --suite step --config"),
    Object.keys(STEP_CONFIGS),
  );
  // The paper's search: C=16, 8 cells, batch 256, 50 epochs on 32-pixel
  // images, all 50,000 training images split in half.
  const paper = rows.find((r) =>
    r.use === "search --size" && r.name === "paper"
  )!;
  assert.deepEqual(
    [
      paper.channels,
      paper.layers,
      paper.batch,
      paper.imageSide,
      paper.epochs,
      paper.images,
    ],
    [16, 8, 256, 32, "50", "50,000"],
  );
});
