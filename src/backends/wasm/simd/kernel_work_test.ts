import assert from "node:assert/strict";
import * as tf from "../../../tf.ts";
import { initBackend } from "../../init.ts";
import { activeBackend } from "../../backend_table.ts";
import { depthwiseConv2d } from "../../../ops/depthwise_conv2d.ts";
import { relu } from "../../../ops/activation.ts";
import { simdKernelWork } from "./kernel_work.ts";
import { simdKernels } from "./simd_kernels.ts";

Deno.test("wasm records its SIMD kernels' calls with their work while asked, and none after", async () => {
  await initBackend("wasm");
  const x = tf.randomNormal([2, 8, 8, 4]) as tf.Tensor4D;
  const filter = tf.randomNormal([3, 3, 4, 1]) as tf.Tensor4D;
  const stop = activeBackend().recordKernelWork!();
  const y = depthwiseConv2d(x, filter, { padding: 1 });
  const r = relu(y);
  const calls = stop();
  const forward = calls.find((c) => c.kind === "simd depthwise_forward");
  assert.ok(forward, calls.map((c) => c.kind).join(", "));
  // 2 × 8×8 outputs × 4 channels × 9 taps, two operations each; x, the
  // filter and y once each.
  assert.equal(forward.flops, 2 * 2 * 64 * 4 * 9);
  assert.equal(forward.bytes, 4 * (2 * 64 * 4 + 9 * 4 + 2 * 64 * 4));
  assert.ok(forward.ms >= 0);
  assert.deepEqual(
    calls.filter((c) => c.kind === "simd relu").map((c) => c.bytes),
    [2 * 4 * 2 * 64 * 4],
  );
  const after = activeBackend().recordKernelWork!();
  const again = relu(y);
  assert.equal(after().length, 1);
  assert.equal(
    stop().length,
    calls.length,
    "a stopped recording grows no more",
  );
  tf.dispose([x, filter, y, r, again]);
});

Deno.test("every SIMD kernel the wasm backend exports has a work formula", async () => {
  await initBackend("wasm");
  const names = Object.keys(simdKernels()!.kernels);
  assert.ok(names.length >= 20, names.join(", "));
  const args = Array(16).fill(2);
  for (const name of names) {
    const work = simdKernelWork(name, args);
    assert.ok(work !== null && work.bytes > 0, name);
  }
  assert.equal(simdKernelWork("unknown_kernel", args), null);
});
