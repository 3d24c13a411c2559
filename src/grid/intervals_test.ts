import assert from "node:assert/strict";
import { differenceIntervals, groupName, parsePairs } from "./intervals.ts";

Deno.test("intervals compare groups named method, method/arm or method/budget, from the rows", () => {
  const rows = [
    ...[0.30, 0.31, 0.29].map((e) => ({
      method: "pcdarts",
      budget: "e15",
      test_error: String(e),
    })),
    ...[0.20, 0.21, 0.19].map((e) => ({
      method: "darts1",
      budget: "e15",
      test_error: String(e),
    })),
    ...[0.30, 0.10].map((e) => ({
      method: "pcdarts",
      arm: "k2",
      test_error: String(e),
    })),
  ];
  assert.equal(groupName(rows[0]), "pcdarts/e15");
  assert.equal(groupName(rows[6]), "pcdarts/k2");
  const [decided, open] = differenceIntervals(
    rows,
    parsePairs("pcdarts/e15~darts1/e15, pcdarts/k2~darts1/e15"),
  );
  assert.equal(decided.difference, 0.1);
  assert.equal(decided.decided, true);
  assert.ok(decided.difference_low > 0);
  assert.equal(open.decided, false);
  assert.equal(open.a_runs, 2);
  assert.throws(
    () => differenceIntervals(rows, [["pcdarts", "darts1/e15"]]),
    /no rows of group "pcdarts"; the groups are pcdarts\/e15, darts1\/e15, pcdarts\/k2/,
  );
  assert.throws(() => parsePairs("a~"), /--pairs takes A~B/);
});
