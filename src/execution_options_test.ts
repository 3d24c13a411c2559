import assert from "node:assert/strict";
import {
  currentExecutionOptions,
  executionLabel,
  setExecutionOptions,
  withExecutionOptions,
} from "./execution_options.ts";
import { backwardReleaseEnabled } from "./ops/backward_release.ts";
import { reductionChunk } from "./ops/webgpu/webgpu_programs.ts";

Deno.test("execution options set the ops' switches, are read back, and are restored after withExecutionOptions", async () => {
  const before = currentExecutionOptions();
  assert.equal(before.backwardRelease, true);
  assert.equal(before.reductionChunk, 4096);
  assert.equal(before.batchedSubmission, false, "not installed off webgpu");
  const inside = await withExecutionOptions(
    { backwardRelease: false, reductionChunk: Infinity, simdKernels: false },
    () => {
      assert.equal(backwardReleaseEnabled(), false);
      assert.equal(reductionChunk(), Infinity);
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
  const previous = setExecutionOptions({ sharedEdgeInputs: false });
  assert.deepEqual(previous, before);
  assert.equal(
    executionLabel(currentExecutionOptions()),
    "simd+programs+grouped+release, chunk 4096",
  );
  setExecutionOptions(previous);
  assert.equal(
    executionLabel(currentExecutionOptions()),
    "simd+programs+grouped+release+shared, chunk 4096",
  );
});
