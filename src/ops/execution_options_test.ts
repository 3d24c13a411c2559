import assert from "node:assert/strict";
import {
  currentExecutionOptions,
  defaultExecutionOptions,
  executionLabel,
  executionOptions,
  registerExecutionOptions,
  setExecutionOptions,
  withExecutionOptions,
} from "./execution_options.ts";
// The backends' own options, as their units register them.
import "../backends/webgpu/webgpu_options.ts";
import "../backends/wasm/wasm_options.ts";

Deno.test("execution options: a reduction chunk that is not a positive whole number or Infinity is refused, the options unchanged", () => {
  assert.throws(
    () => setExecutionOptions({ reductionChunk: 0 }),
    /reductionChunk must be a positive whole number/,
  );
  assert.equal(executionOptions().reductionChunk, 4096);
  assert.throws(
    () => setExecutionOptions({ threads: 1.5 }),
    /threads must be a whole number of at least 1, not 1.5/,
  );
});

Deno.test("execution options are one object: set, read back, and restored after withExecutionOptions", async () => {
  const before = currentExecutionOptions();
  assert.equal(before.backwardRelease, true);
  assert.equal(before.reductionChunk, 4096);
  assert.equal(before.batchedSubmission, true);
  assert.equal(before.simdKernels, true);
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
  const previous = setExecutionOptions({
    groupedGradientSums: false,
    threads: 1,
  });
  assert.deepEqual(previous, before);
  assert.equal(
    executionLabel(currentExecutionOptions()),
    "simd+programs+batched+reuse+release, chunk 4096",
  );
  setExecutionOptions({ groupedGradientSums: true, threads: 3 });
  // Each backend's part by owner (wasm, then webgpu), whatever the order
  // their files loaded in, then the shared switches.
  assert.equal(
    executionLabel(currentExecutionOptions()),
    "simd+programs+batched+reuse+grouped+release, threads 3, chunk 4096",
  );
  setExecutionOptions(previous);
});

Deno.test("a backend's options live with it: they join the defaults, and a name taken twice is refused", () => {
  const defaults = defaultExecutionOptions();
  // The shared options and both backends' own, from their folders.
  for (
    const name of [
      "groupedGradientSums",
      "backwardRelease",
      "simdKernels",
      "threads",
      "webGpuPrograms",
      "batchedSubmission",
      "reductionChunk",
      "bindGroupReuse",
    ]
  ) {
    assert.ok(name in defaults, name);
  }
  assert.throws(
    () =>
      registerExecutionOptions({
        owner: "planted",
        defaults: { simdKernels: false },
        switchesOn: () => [],
        settings: () => [],
      }),
    /planted: execution option simdKernels is declared twice/,
  );
  assert.equal(executionOptions().simdKernels, true);
});
