import assert from "node:assert/strict";
import {
  fixtureTolerances,
  parityVerdict,
  perTensorBars,
  worstByRatio,
} from "./summary.ts";
import { flooredRelativeError } from "./relative_error.ts";

Deno.test("a float32 fixture keeps the standard bars", () => {
  assert.deepEqual(fixtureTolerances({}), { output: 1e-4, gradient: 1e-3 });
});

Deno.test("a float64 fixture is held to max(1e-4, 10x the reference's float32 error)", () => {
  const wellConditioned = fixtureTolerances({
    computed_in: "float64",
    float32_reference_gradient_error: "7.3e-6",
  });
  assert.equal(wellConditioned.gradient, 1e-4);
  assert.equal(wellConditioned.output, 1e-4);
  const rough = fixtureTolerances({
    computed_in: "float64",
    float32_reference_gradient_error: "3e-4",
    float32_reference_output_error: "2e-5",
  });
  assert.ok(Math.abs(rough.gradient - 3e-3) < 1e-12);
  assert.ok(Math.abs(rough.output - 2e-4) < 1e-12);
  assert.throws(
    () =>
      fixtureTolerances({
        computed_in: "float64",
        float32_reference_gradient_error: "lots",
      }),
    /float32_reference_gradient_error is not a non-negative number/,
  );
});

Deno.test("each row is judged against its own bar", () => {
  const rows = [
    { check: "g", kind: "gradient" as const, relativeError: 5e-4, limit: 1e-4 },
  ];
  assert.equal(parityVerdict(rows).ok, false);
  assert.equal(parityVerdict([{ ...rows[0], limit: 1e-3 }]).ok, true);
  assert.equal(parityVerdict([{ ...rows[0], limit: undefined }]).ok, true);
});

Deno.test("per-tensor bars: max(1e-4, 10x the tensor's own spread), the fallback for a tensor the map lacks", () => {
  const bar = perTensorBars(
    { spread: JSON.stringify({ a: 2e-3, b: 1e-7 }) },
    "spread",
    5e-4,
  )!;
  assert.ok(Math.abs(bar("a") - 2e-2) < 1e-12);
  assert.equal(bar("b"), 1e-4);
  assert.equal(bar("c"), 5e-4);
  assert.equal(perTensorBars({}, "spread", 1e-4), null);
  assert.throws(
    () => perTensorBars({ spread: '{"a": -1}' }, "spread", 1e-4),
    /spread\["a"\] is not a non-negative number/,
  );
  const worst = worstByRatio([
    { check: "x", kind: "output", relativeError: 5e-3, limit: 1e-2 },
    { check: "y", kind: "output", relativeError: 9e-5, limit: 1e-4 },
  ]);
  assert.equal(worst?.row.check, "y");
  assert.ok(Math.abs(worst!.ratio - 0.9) < 1e-12);
});

Deno.test("the floored relative error divides by max(|b|, 1e-3 sqrt(n))", () => {
  assert.ok(
    Math.abs(flooredRelativeError([1.1, 2], [1, 2]) - 0.1 / Math.sqrt(5)) <
      1e-12,
  );
  // A result near zero: the floor 1e-3 * 2 = 2e-3 divides, not |b| = 1e-6.
  assert.ok(
    Math.abs(
      flooredRelativeError([1e-4, 0, 0, 0], [1e-6, 0, 0, 0]) - 9.9e-5 / 2e-3,
    ) < 1e-12,
  );
});
