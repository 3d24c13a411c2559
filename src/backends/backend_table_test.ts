import assert from "node:assert/strict";
import { explainError } from "./backend_table.ts";

Deno.test("a wasm heap overflow is explained with what to do", () => {
  const text = explainError(
    new WebAssembly.RuntimeError("memory access out of bounds"),
  );
  assert.match(
    text,
    /^memory access out of bounds: the backend ran out of memory/,
  );
  assert.match(text, /--recompute-cells/);
  assert.match(text, /--backend cpu/);
});

Deno.test("other errors keep their message", () => {
  assert.equal(explainError(new Error("no such file")), "no such file");
  assert.equal(explainError("plain"), "plain");
});
