import assert from "node:assert/strict";
import { initBackend } from "../backends/init.ts";
import { measureMachinePeak } from "./machine_peak.ts";

const small = { matmulSide: 128, triadElements: 2 ** 16, repeats: 2 };

/** A clock that moves 2 ms at every reading: every timed run takes 2 ms. */
function steppingClock(): () => number {
  let now = 0;
  return () => (now += 2);
}

Deno.test("the ceilings from the timings: a 128² product in 2 ms is 2.097 GFLOP/s, a 65,536-element triad of two kernels (five passes) in 2 ms 655 MB/s", async () => {
  await initBackend("cpu");
  const peak = await measureMachinePeak({ ...small, clock: steppingClock() });
  // 2 · 128³ = 4,194,304 FLOPs in 0.002 s.
  assert.equal(peak.matmulFlopsPerSecond, 2_097_152_000);
  // 5 passes · 4 bytes · 65,536 elements = 1,310,720 bytes in 0.002 s.
  assert.equal(peak.bytesPerSecond, 655_360_000);
  // No kernels of its own: the product's rate is the ceiling.
  assert.equal(peak.registerFlopsPerSecond, null);
  assert.equal(peak.flopsPerSecond, 2_097_152_000);
});

Deno.test("on wasm the backend's own multiply-adds and triad are measured, and the ceiling is never below the product's rate", async () => {
  await initBackend("wasm");
  const peak = await measureMachinePeak(small);
  assert.ok(peak.registerFlopsPerSecond! > 0);
  assert.ok(peak.flopsPerSecond >= peak.matmulFlopsPerSecond);
  assert.ok(peak.flopsPerSecond >= peak.registerFlopsPerSecond!);
  assert.ok(peak.bytesPerSecond > 0);
});
