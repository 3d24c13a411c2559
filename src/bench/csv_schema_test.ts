import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import {
  COLUMNS,
  csvSchemas,
  registerCsvSchema,
  schemaOf,
  undeclaredColumns,
} from "./csv_schema.ts";
import "../suites/all.ts";

const root = new URL("../..", import.meta.url).pathname;

function committedCsvs(dir: string): string[] {
  const out: string[] = [];
  for (const e of Deno.readDirSync(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory && e.name !== "runs") out.push(...committedCsvs(path));
    else if (e.name.endsWith(".csv")) out.push(path);
  }
  return out;
}

Deno.test("every column of every committed CSV under results/ is declared", () => {
  const files = committedCsvs(`${root}results`);
  assert.ok(files.length >= 10, `found ${files.length} CSVs`);
  for (const file of files) {
    const [header] = parse(Deno.readTextFileSync(file), {
      to_line: 1,
    }) as string[][];
    assert.deepEqual(undeclaredColumns(header), [], file);
  }
});

Deno.test("each schema's columns are declared once and metrics carry a rule", () => {
  const names = csvSchemas().map((s) => s.name);
  // The suites' own schemas are there once every suite is imported.
  for (const suite of ["memory suite", "step suite", "training-step suite"]) {
    assert.ok(names.includes(suite), suite);
  }
  assert.equal(new Set(names).size, names.length);
  for (const schema of csvSchemas()) {
    assert.equal(
      new Set(schema.columns).size,
      schema.columns.length,
      schema.name,
    );
    assert.deepEqual(undeclaredColumns(schema.columns), [], schema.name);
  }
  for (const [name, c] of Object.entries(COLUMNS)) {
    assert.equal(c.role === "metric", c.rule !== undefined, name);
  }
  assert.equal(
    schemaOf([
      "index",
      "method",
      "seed",
      "size",
      "backend",
      "arm",
      "budget",
      "search_epochs",
      "warmup_epochs",
      "partial_channels",
      "edge_normalization",
      "batch_size",
      "search_lr",
      "search_channels",
      "train_epochs",
      "train_subset",
      "train_image_side",
      "genotype_file",
    ])?.name,
    "grid manifest",
  );
  assert.equal(schemaOf(["index", "method"]), undefined);
});

Deno.test("a second schema of a name already declared is refused", () => {
  assert.throws(
    () =>
      registerCsvSchema({
        name: "memory suite",
        files: "nowhere",
        columns: ["k"],
      }),
    /CSV schema "memory suite" is declared twice/,
  );
});
