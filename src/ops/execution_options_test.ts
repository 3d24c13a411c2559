import assert from "node:assert/strict";
import {
  currentExecutionOptions,
  executionLabel,
  setExecutionOptions,
  withExecutionOptions,
} from "./execution_options.ts";
import { executionOptions } from "./execution_options.ts";

Deno.test("execution options: a reduction chunk that is not a positive whole number or Infinity is refused, the options unchanged", () => {
  assert.throws(
    () => setExecutionOptions({ reductionChunk: 0 }),
    /reductionChunk must be a positive whole number/,
  );
  assert.equal(executionOptions().reductionChunk, 4096);
});

Deno.test("execution options are one object: set, read back, and restored after withExecutionOptions", async () => {
  const before = currentExecutionOptions();
  assert.equal(before.backwardRelease, true);
  assert.equal(before.reductionChunk, 4096);
  assert.equal(before.batchedSubmission, true);
  const inside = await withExecutionOptions(
    { backwardRelease: false, reductionChunk: Infinity, simdKernels: false },
    () => {
      assert.equal(executionOptions().backwardRelease, false);
      assert.equal(executionOptions().reductionChunk, Infinity);
      return currentExecutionOptions();
    },
  );
  assert.deepEqual(inside, {
    ...before,
    backwardRelease: false,
    reductionChunk: Infinity,
    simdKernels: false,
  });
  assert.deepEqual(currentExecutionOptions(), before);
  const previous = setExecutionOptions({ groupedGradientSums: false });
  assert.deepEqual(previous, before);
  assert.equal(
    executionLabel(currentExecutionOptions()),
    "simd+programs+batched+reuse+release, chunk 4096",
  );
  setExecutionOptions(previous);
  assert.equal(
    executionLabel(currentExecutionOptions()),
    "simd+programs+batched+reuse+grouped+release, chunk 4096",
  );
});
