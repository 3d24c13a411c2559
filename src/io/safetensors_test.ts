import assert from "node:assert/strict";
import { encodeSafetensors, parseSafetensors } from "./safetensors.ts";

Deno.test("safetensors round-trips tensors and metadata", () => {
  const tensors = new Map([
    ["a.weight", {
      shape: [2, 3],
      data: Float32Array.from([1, 2, 3, 4, 5, -6.5]),
    }],
    ["b", { shape: [1], data: Float32Array.from([Math.PI]) }],
  ]);
  const bytes = encodeSafetensors(tensors, { C: "8" });
  const parsed = parseSafetensors(bytes);
  assert.deepEqual(parsed.metadata, { C: "8" });
  assert.deepEqual(parsed.tensors.get("a.weight"), tensors.get("a.weight"));
  assert.equal(parsed.tensors.get("b")!.data[0], Math.fround(Math.PI));
});

Deno.test("a truncated safetensors file is a clear error", () => {
  const bytes = encodeSafetensors(
    new Map([["x", { shape: [4], data: new Float32Array(4) }]]),
  );
  assert.throws(
    () =>
      parseSafetensors(bytes.subarray(0, bytes.length - 4), "f.safetensors"),
    /f\.safetensors: tensor x has offsets/,
  );
  assert.throws(
    () => parseSafetensors(bytes.subarray(0, 12), "g.safetensors"),
    /g\.safetensors: header length/,
  );
});
