import assert from "node:assert/strict";
import {
  FLOPS_PER_ITERATION,
  simdMultiplyAdds,
  simdPeakFlopsPerSecond,
} from "./compute_peak.ts";

Deno.test("the SIMD compute peak runs every chain's multiply-add once an iteration", async () => {
  const run = await simdMultiplyAdds();
  // Lane 0 of chain i starts at i; each iteration maps a to a·0.999 + 0.001
  // in float32; the result is the chains' float32 sum, chain by chain.
  const expected = (n: number) => {
    const m = Math.fround(0.999), s = Math.fround(0.001);
    const chains = Array.from({ length: FLOPS_PER_ITERATION / 8 }, (_, i) => {
      let a = i;
      for (let k = 0; k < n; k++) a = Math.fround(Math.fround(a * m) + s);
      return a;
    });
    return chains.reduce((sum, a) => Math.fround(sum + a));
  };
  for (const n of [0, 1, 7, 1000]) {
    assert.equal(run(n), expected(n), `n = ${n}`);
  }
  assert.equal(FLOPS_PER_ITERATION, 12 * 4 * 2);
});

Deno.test("the SIMD compute peak is a rate: FLOPs over the best run's seconds", async () => {
  const rate = await simdPeakFlopsPerSecond(2e6, 3);
  // Any CPU with 128-bit SIMD passes 0.5 GFLOP/s; none reaches 10 TFLOP/s
  // on one thread.
  assert.ok(rate > 5e8 && rate < 1e13, `${rate}`);
});
