/**
 * Adding a suite is one file: this test's toy suite declares its run, its
 * CSV's schema and its figure in one `registerBenchSuite` call, and then
 * `deno task bench --suite toy` writes its file, `compare` reads it, the
 * schemas' docs list it and the report draws it, with no other file touched.
 */
import assert from "node:assert/strict";
import { registerBenchSuite } from "../bench/suite_registry.ts";
import {
  CONTEXT_COLUMNS,
  type CsvSchema,
  schemasMarkdown,
} from "../bench/csv_schema.ts";
import { renderChart } from "../bench/chart.ts";

const TOY_SCHEMA: CsvSchema = {
  name: "toy suite",
  files: "results/bench/<run>/toy.csv",
  columns: [...CONTEXT_COLUMNS, "k", "median_ms"],
};

registerBenchSuite({
  name: "toy",
  inAll: false,
  schemas: [TOY_SCHEMA],
  run: () =>
    Promise.resolve({
      files: [{
        name: "toy",
        schema: TOY_SCHEMA,
        rows: [1, 2, 4].map((k) => ({ k, median_ms: 10 / k })),
        context: { dataset: "none", image_size: 0, channels: 0, layers: 0 },
      }],
    }),
  async figures(read) {
    const rows = await read("toy");
    if (!rows) return [];
    return [{
      title: "toy time vs K",
      caption: `${rows.length} rows`,
      svg: await renderChart({
        data: { values: rows.map((r) => ({ k: r.k, ms: +r.median_ms })) },
        mark: "line",
        encoding: {
          x: { field: "k", type: "ordinal" },
          y: { field: "ms", type: "quantitative" },
        },
      }),
    }];
  },
});

Deno.test("a toy suite in one file runs, is compared, is documented and is drawn", async () => {
  // Imported after the registration, as src/suites/all.ts's one line would.
  const bench = await import("../cli/bench.ts");
  const { checkDeclared } = await import("../bench/compare.ts");
  const { buildFigures } = await import("../bench/report.ts");
  const { parse } = await import("csv-parse/sync");
  const out = await Deno.makeTempDir();
  try {
    const code = await bench.main([
      "--suite",
      "toy",
      "--backend",
      "cpu",
      "--out",
      out,
      "--quiet",
    ]);
    assert.equal(code, 0);
    const rows = parse(await Deno.readTextFile(`${out}/toy.csv`), {
      columns: true,
    }) as Record<string, string>[];
    assert.deepEqual(rows.map((r) => [r.k, r.median_ms]), [
      ["1", "10"],
      ["2", "5"],
      ["4", "2.5"],
    ]);
    assert.deepEqual(Object.keys(rows[0]), TOY_SCHEMA.columns);
    checkDeclared(Object.keys(rows[0]), "toy.csv");
    assert.match(
      schemasMarkdown(),
      /## toy suite\n\nFiles: results\/bench\/<run>\/toy\.csv/,
    );
    const { figures } = await buildFigures(out);
    assert.deepEqual(figures.map((f) => f.title), ["toy time vs K"]);
    assert.match(figures[0].svg, /<svg/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
