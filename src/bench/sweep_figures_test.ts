import assert from "node:assert/strict";
import { searchCostColumn } from "./sweep_figures.ts";

Deno.test("the sweep's cost axis is the search's CPU seconds where every searched row has them, else its wall seconds", () => {
  const rows = [
    {
      method: "random",
      budget: "",
      search_seconds: "0",
      search_cpu_seconds: "",
    },
    {
      method: "pcdarts",
      budget: "e5",
      search_seconds: "130",
      search_cpu_seconds: "108",
    },
    {
      method: "darts1",
      budget: "e5",
      search_seconds: "300",
      search_cpu_seconds: "243",
    },
  ];
  assert.deepEqual(searchCostColumn(rows), {
    column: "search_cpu_seconds",
    title: "search CPU seconds",
  });
  rows[2].search_cpu_seconds = "";
  assert.equal(searchCostColumn(rows).column, "search_seconds");
  assert.equal(searchCostColumn([rows[0]]).column, "search_seconds");
});
