import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { onEachBackend } from "../testing/backends.ts";
import {
  defineOp,
  opsWithKernels,
  PASS,
  registerOpKernel,
} from "./op_kernels.ts";

Deno.test("an op runs the active backend's kernels in registration order, falls through on PASS to the portable implementation, and ignores other backends' kernels", () => {
  const backend = tf.getBackend();
  const calls: string[] = [];
  const scaled = defineOp("test_scaled", (x: number) => {
    calls.push("portable");
    return 2 * x;
  });
  assert.equal(scaled(3), 6, "no kernels: the portable implementation");
  registerOpKernel(scaled, `${backend}-other`, () => -1);
  registerOpKernel(scaled, backend, (x) => {
    calls.push("first");
    return x < 0 ? PASS : 10 * x;
  });
  registerOpKernel(scaled, backend, (x) => {
    calls.push("second");
    return x < -5 ? PASS : 100 * x;
  });
  calls.length = 0;
  assert.equal(scaled(3), 30);
  assert.deepEqual(calls, ["first"]);
  calls.length = 0;
  assert.equal(scaled(-1), -100);
  assert.deepEqual(calls, ["first", "second"]);
  calls.length = 0;
  assert.equal(scaled(-6), -12);
  assert.deepEqual(calls, ["first", "second", "portable"]);
  assert.ok(opsWithKernels(`${backend}-other`).includes("test_scaled"));
  assert.throws(() => defineOp("test_scaled", (x: number) => x), /twice/);
});

Deno.test("each backend registers its kernels when it starts: SIMD and host ones on wasm, host ones on cpu, WGSL programs on webgpu", async (t) => {
  await onEachBackend(t, (backend) => {
    const ops = opsWithKernels(backend);
    const has = (name: string) => ops.includes(name);
    if (backend === "wasm" || backend === "cpu") {
      assert.ok(has("slice4d") && has("batchNormTraining"), ops.join(", "));
    }
    assert.equal(has("relu"), backend === "wasm" || backend === "webgpu");
    assert.equal(has("sgdUpdates"), backend === "webgpu");
    assert.equal(has("maxPool"), backend === "wasm");
  });
});
