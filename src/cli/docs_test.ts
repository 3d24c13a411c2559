import assert from "node:assert/strict";
import { generatedDocs } from "./docs.ts";

const root = new URL("../..", import.meta.url).pathname;

Deno.test("docs/cli.md, docs/csv_schemas.md and the README's results table are what the declarations and results/error generate (deno task docs)", () => {
  for (const { path, text } of generatedDocs()) {
    assert.equal(
      Deno.readTextFileSync(`${root}${path}`),
      text,
      `${path} is stale: run deno task docs`,
    );
  }
});
