import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { lacksBackends, onEachBackend } from "../../testing/backends.ts";
import { type Program, runProgram } from "./webgpu_programs.ts";
import { throwOnWebGpuErrors, WebGpuError } from "./errors.ts";

/** `result = 2·a`; binding `b` too when `bindUnused` (an invalid pipeline). */
function doubling(bindUnused: boolean): Program {
  return {
    shaderKey: `test_doubling_${bindUnused}`,
    outputShape: [4],
    variableNames: bindUnused ? ["a", "b"] : ["a"],
    workgroupSize: [64, 1, 1],
    dispatch: [1, 1, 1],
    dispatchLayout: { x: [0] },
    size: true,
    getUserCode: () =>
      `fn main(index : i32) { if (index < uniforms.size) { result[index] = a[index] * 2.0; } }`,
  };
}

Deno.test({
  name:
    "a GPU error (no results, no exception) becomes a WebGpuError at the next check",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      const a = tf.tensor1d([1, 2, 3, 4]);
      const good = runProgram(doubling(false), [a]);
      assert.deepEqual(Array.from(await good.data()), [2, 4, 6, 8]);
      throwOnWebGpuErrors("the valid program");
      // The shader leaves `b` unused, so its binding is not in the pipeline's
      // layout: WebGPU rejects the bind group and the dispatch does not run
      // (the output holds whatever its buffer held).
      const broken = runProgram(doubling(true), [a, a]);
      await broken.data();
      assert.throws(
        () => throwOnWebGpuErrors("the broken program"),
        (e: unknown) =>
          e instanceof WebGpuError &&
          e.message.includes("by the broken program") &&
          e.message.includes("--backend wasm"),
      );
      throwOnWebGpuErrors("after the report (nothing new)");
      tf.dispose([a, good, broken]);
    }, ["webgpu"]);
  },
});
