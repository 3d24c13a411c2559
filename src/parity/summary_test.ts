import assert from "node:assert/strict";
import { fixtureTolerances, parityVerdict } from "./summary.ts";

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
