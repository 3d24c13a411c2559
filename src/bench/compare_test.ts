import assert from "node:assert/strict";
import { compareRows, hasRegression } from "./compare.ts";

const base = [
  {
    run_id: "a",
    device: "x",
    k: "1",
    edge_normalization: "false",
    peak_bytes: "1000000",
    median_ms: "100",
  },
  {
    run_id: "a",
    device: "x",
    k: "4",
    edge_normalization: "false",
    peak_bytes: "400000",
    median_ms: "50",
  },
];

function variant(changes: Record<string, string>, index = 0) {
  return base.map((
    r,
    i,
  ) => (i === index
    ? { ...r, run_id: "b", device: "y", ...changes }
    : { ...r, run_id: "b" })
  );
}

Deno.test("an identical report passes; machine and run columns do not matter", () => {
  const lines = compareRows(base, variant({}));
  assert.equal(hasRegression(lines), false);
  assert.ok(lines.every((l) => l.verdict === "ok"));
});

Deno.test("memory 10% higher is a regression; 10% lower is an improvement", () => {
  const worse = compareRows(base, variant({ peak_bytes: "1100000" }));
  assert.equal(hasRegression(worse), true);
  assert.deepEqual(
    worse.filter((l) => l.verdict !== "ok").map((l) => [l.metric, l.verdict]),
    [
      ["peak_bytes", "REGRESSION"],
    ],
  );
  const better = compareRows(base, variant({ peak_bytes: "900000" }));
  assert.equal(hasRegression(better), false);
  assert.equal(
    better.find((l) => l.metric === "peak_bytes" && l.verdict !== "ok")
      ?.verdict,
    "improved",
  );
});

Deno.test("times pass within a 3x band and fail beyond it", () => {
  assert.equal(
    hasRegression(compareRows(base, variant({ median_ms: "250" }))),
    false,
  );
  assert.equal(
    hasRegression(compareRows(base, variant({ median_ms: "400" }))),
    true,
  );
});

Deno.test("a baseline row without a counterpart fails; a new row does not", () => {
  assert.equal(hasRegression(compareRows(base, base.slice(0, 1))), true);
  const extra = [...base, { ...base[0], k: "8" }];
  const lines = compareRows(base, extra);
  assert.equal(hasRegression(lines), false);
  assert.equal(lines.filter((l) => l.verdict === "new").length, 1);
});

Deno.test("test error is judged against the baseline's seed spread", () => {
  const errors = [{
    method: "pcdarts",
    test_error_mean: "0.30",
    test_error_std: "0.02",
  }];
  assert.equal(
    hasRegression(
      compareRows(errors, [{ ...errors[0], test_error_mean: "0.33" }]),
    ),
    false,
  );
  assert.equal(
    hasRegression(
      compareRows(errors, [{ ...errors[0], test_error_mean: "0.36" }]),
    ),
    true,
  );
});
