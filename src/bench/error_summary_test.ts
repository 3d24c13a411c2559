import assert from "node:assert/strict";
import { summarizeErrors } from "./error_summary.ts";

Deno.test("the error summary: mean and sample std of the test error, mean seconds and params per method, in order of appearance", () => {
  const summary = summarizeErrors([
    {
      method: "b",
      test_error: 0.3,
      search_seconds: 10,
      train_seconds: 100,
      params: 1000,
    },
    {
      method: "a",
      test_error: 0.5,
      search_seconds: 0,
      train_seconds: 50,
      params: 7,
    },
    {
      method: "b",
      test_error: 0.5,
      search_seconds: 20,
      train_seconds: 200,
      params: 1001,
    },
  ]);
  assert.deepEqual(summary.map((s) => s.method), ["b", "a"]);
  assert.equal(summary[0].runs, 2);
  assert.equal(summary[0].test_error_mean, 0.4);
  // Sample std of 0.3 and 0.5: sqrt(0.02 / 1).
  assert.equal(summary[0].test_error_std, +Math.sqrt(0.02).toFixed(6));
  assert.equal(summary[0].search_seconds_mean, 15);
  assert.equal(summary[0].train_seconds_mean, 150);
  assert.equal(summary[0].params_mean, 1001); // 1000.5 rounded
  assert.equal(summary[1].test_error_std, 0); // one run
});

Deno.test("the error summary leaves out a mean that some row cannot give", () => {
  const [s] = summarizeErrors([
    { method: "a", test_error: 0.5, search_seconds: 3, params: 10 },
    { method: "a", test_error: 0.4, search_seconds: 5 },
  ]);
  assert.equal(s.search_seconds_mean, 4);
  assert.equal("train_seconds_mean" in s, false);
  assert.equal("params_mean" in s, false);
});

Deno.test("the error summary gives the mean search CPU seconds where every row of a method has them", () => {
  const [searched, cell] = summarizeErrors([
    { method: "a", test_error: 0.5, search_seconds: 30, search_cpu_seconds: 9 },
    {
      method: "a",
      test_error: 0.4,
      search_seconds: 50,
      search_cpu_seconds: 11,
    },
    { method: "b", test_error: 0.3, search_seconds: 0, search_cpu_seconds: "" },
  ]);
  assert.equal(searched.search_seconds_mean, 40);
  assert.equal(searched.search_cpu_seconds_mean, 10);
  assert.equal("search_cpu_seconds_mean" in cell, false);
});
