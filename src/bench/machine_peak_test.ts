import assert from "node:assert/strict";
import { initBackend } from "../backends/init.ts";
import { measureMachinePeak } from "./machine_peak.ts";

const small = { matmulSide: 128, triadElements: 2 ** 16, repeats: 2 };

Deno.test("on wasm the compute ceiling is the better of the matrix product and the SIMD multiply-adds", async () => {
  await initBackend("wasm");
  const peak = await measureMachinePeak(small);
  assert.ok(peak.registerFlopsPerSecond !== null);
  assert.equal(
    peak.flopsPerSecond,
    Math.max(peak.matmulFlopsPerSecond, peak.registerFlopsPerSecond),
  );
  assert.ok(peak.bytesPerSecond > 0);
});

Deno.test("a backend without kernels of its own takes the matrix product's rate", async () => {
  await initBackend("cpu");
  const peak = await measureMachinePeak(small);
  assert.equal(peak.registerFlopsPerSecond, null);
  assert.equal(peak.flopsPerSecond, peak.matmulFlopsPerSecond);
});
