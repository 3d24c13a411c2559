import assert from "node:assert/strict";
import {
  ERROR_TABLE_END,
  errorTableMarkdown,
  errorTableStart,
  withErrorTable,
} from "./error_table.ts";

const SUMMARY = [
  "run_id,method,runs,test_error_mean,test_error_std,search_seconds_mean,train_seconds_mean,params_mean",
  "a,pcdarts,3,0.469867,0.044535,186.43,646.21,188853",
  "b,darts2,3,0.389867,0.03525,1043.15,809.09,198655",
  "c,DARTS_V2,2,0.3527,0.001735,0,644.01,129706",
].join("\n");

Deno.test("the results table shows percent errors, grouped seconds, a dash where nothing was searched, and thousands of params", () => {
  const lines = errorTableMarkdown(SUMMARY).split("\n");
  assert.equal(lines.length, 5);
  const cells = lines.map((l) =>
    l.split("|").slice(1, -1).map((c) => c.trim())
  );
  assert.deepEqual(cells[0], [
    "method",
    "seeds",
    "test error",
    "search (s)",
    "training (s)",
    "params",
  ]);
  assert.deepEqual(cells[2], [
    "`pcdarts`",
    "3",
    "47.0 ± 4.5 %",
    "186",
    "646",
    "189 k",
  ]);
  assert.deepEqual(cells[3].slice(3), ["1,043", "809", "199 k"]);
  assert.deepEqual(cells[4].slice(1, 4), ["2", "35.3 ± 0.2 %", "—"]);
  // Aligned as deno fmt aligns a table: every line the same length.
  assert.equal(new Set(lines.map((l) => l.length)).size, 1);
});

Deno.test("the results table shows search CPU seconds where every searched row has them", () => {
  const withCpu = [
    "run_id,method,budget,runs,test_error_mean,test_error_std,search_seconds_mean,search_cpu_seconds_mean,train_seconds_mean,params_mean",
    "a,pcdarts,e5,3,0.363033,0.03365,130.57,108.33,1692.54,188853",
    "c,DARTS_V2,,3,0.2926,0.003568,0,,1663.82,129706",
  ].join("\n");
  const cells = errorTableMarkdown(withCpu).split("\n").map((l) =>
    l.split("|").slice(1, -1).map((c) => c.trim())
  );
  assert.equal(cells[0][3], "search (CPU s)");
  assert.equal(cells[2][3], "108");
  assert.equal(cells[3][3], "—");
  // One searched row without them: wall seconds for all.
  const mixed = withCpu.replace("130.57,108.33", "130.57,");
  const wall = errorTableMarkdown(mixed).split("\n").map((l) =>
    l.split("|").slice(1, -1).map((c) => c.trim())
  );
  assert.equal(wall[0][3], "search (s)");
  assert.equal(wall[2][3], "131");
});

Deno.test("the results table refuses a summary from before its columns existed", () => {
  assert.throws(
    () =>
      errorTableMarkdown(
        "method,runs,test_error_mean,test_error_std,search_seconds_mean\npcdarts,3,0.4,0.01,100",
      ),
    /no train_seconds_mean column: rerun deno task grid merge/,
  );
  assert.throws(
    () => errorTableMarkdown("method,runs\n"),
    /no rows: run deno task grid merge/,
  );
});

Deno.test("the table between the markers is replaced whole; text around it stays", () => {
  const start = errorTableStart("g/error_summary.csv");
  const before =
    `# Title\n\nintro\n\n${start}\n\n| old |\n| --- |\n\n${ERROR_TABLE_END}\n\nafter\n`;
  const after = withErrorTable(
    before,
    "| new |\n| --- |",
    "g/error_summary.csv",
    "README.md",
  );
  assert.equal(
    after,
    `# Title\n\nintro\n\n${start}\n\n| new |\n| --- |\n\n${ERROR_TABLE_END}\n\nafter\n`,
  );
  assert.equal(
    withErrorTable(
      after,
      "| new |\n| --- |",
      "g/error_summary.csv",
      "README.md",
    ),
    after,
  );
  // Another source's markers are not these.
  assert.throws(
    () => withErrorTable(after, "| t |", "h/error_summary.csv", "docs/x.md"),
    /docs\/x.md lacks the markers around its results table \("<!-- deno task docs: from h\/error_summary.csv -->"/,
  );
});
