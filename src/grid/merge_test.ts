import assert from "node:assert/strict";
import { checkRowMatches } from "./merge.ts";
import type { GridRow } from "./manifest.ts";

const row = {
  index: 0,
  method: "pcdarts",
  seed: 0,
  size: "cpu",
  backend: "wasm",
  arm: "",
  budget: "e15",
} as GridRow;

Deno.test("a row file copied from another grid under its old index is refused, naming the file and what differs", () => {
  // A result of this row, with or without the later setting columns.
  checkRowMatches("rows/0.csv", {
    index: "0",
    method: "pcdarts",
    seed: "0",
    budget: "e15",
  }, row);
  checkRowMatches("rows/0.csv", {
    index: "0",
    method: "pcdarts",
    seed: "0",
    arm: "",
    budget: "e15",
  }, row);
  assert.throws(
    () =>
      checkRowMatches("rows/0.csv", {
        index: "18",
        method: "pcdarts",
        seed: "0",
        budget: "e15",
      }, row),
    /rows\/0\.csv is not the result of manifest row 0: its index is "18", the row's "0"\. Put that file under its own row's index/,
  );
  assert.throws(
    () =>
      checkRowMatches("rows/0.csv", {
        index: "0",
        method: "darts1",
        seed: "1",
        budget: "e15",
      }, row),
    /its method is "darts1", the row's "pcdarts"; its seed is "1", the row's "0"/,
  );
});
