import assert from "node:assert/strict";
import { BENCH_SUITES, DEFAULT_SUITES } from "./catalog.ts";

Deno.test("the suites register in the order src/suites/all.ts imports them", () => {
  const text = Deno.readTextFileSync(new URL("./all.ts", import.meta.url));
  const files = [...text.matchAll(/^import "\.\/(\w+)\.ts";$/gm)].map((m) =>
    m[1].replaceAll("_", "-")
  );
  assert.deepEqual([...BENCH_SUITES], files);
  assert.deepEqual([...DEFAULT_SUITES], ["memory", "batch", "cost", "error"]);
});
