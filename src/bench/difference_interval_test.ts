import assert from "node:assert/strict";
import {
  regularizedBeta,
  studentTCdf,
  studentTQuantile,
  welchInterval,
} from "./difference_interval.ts";

Deno.test("Student's t quantiles and CDF match the tables", () => {
  // Two-sided 95 % critical values.
  for (
    const [df, t] of [[1, 12.7062], [2, 4.3027], [4, 2.7764], [8, 2.306], [
      30,
      2.0423,
    ], [1e6, 1.96]]
  ) {
    assert.ok(
      Math.abs(studentTQuantile(0.975, df) - t) < 1e-3,
      `df ${df}: ${studentTQuantile(0.975, df)} vs ${t}`,
    );
  }
  assert.ok(Math.abs(studentTCdf(0, 3) - 0.5) < 1e-12);
  assert.ok(Math.abs(studentTCdf(-2.7764, 4) - 0.025) < 1e-4);
  // I_x(1, 1) = x; I_x(a, b) = 1 − I_{1−x}(b, a).
  assert.ok(Math.abs(regularizedBeta(0.3, 1, 1) - 0.3) < 1e-12);
  assert.ok(
    Math.abs(
      regularizedBeta(0.2, 2.5, 0.5) + regularizedBeta(0.8, 0.5, 2.5) - 1,
    ) < 1e-12,
  );
});

Deno.test("Welch's interval of a difference: computed by hand, decided only where it excludes 0", () => {
  // a: mean 3, var 2.5 (n 5); b: mean 1, var 2.5 (n 5): se = 1, df = 8.
  const r = welchInterval([1, 2, 3, 4, 5], [-1, 0, 1, 2, 3]);
  assert.equal(r.difference, 2);
  assert.ok(Math.abs(r.df - 8) < 1e-12);
  assert.ok(Math.abs(r.high - (2 + 2.306004)) < 1e-5, `${r.high}`);
  assert.ok(Math.abs(r.low - (2 - 2.306004)) < 1e-5, `${r.low}`);
  assert.equal(r.decided, false);
  const far = welchInterval([10, 11, 12], [1, 2, 3]);
  assert.equal(far.decided, true);
  assert.ok(far.low > 0);
  assert.throws(() => welchInterval([1], [2, 3]), /two values a side/);
});
