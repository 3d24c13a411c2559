import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { profileKernels } from "../run/kernel_profile.ts";
import {
  boundMs,
  kernelKinds,
  stepRoofline,
  tfjsKernelWork,
} from "./roofline.ts";

const PEAK = { flopsPerSecond: 1e9, bytesPerSecond: 1e8 };

Deno.test("a kernel's bound is the slower of its arithmetic and its bytes", () => {
  // 1e6 FLOP at 1 GFLOP/s: 1 ms; 1e3 bytes at 0.1 GB/s: 0.01 ms.
  assert.equal(boundMs({ flops: 1e6, bytes: 1e3 }, PEAK), 1);
  // 1e6 bytes: 10 ms, above 1e3 FLOP's 0.001 ms.
  assert.equal(boundMs({ flops: 1e3, bytes: 1e6 }, PEAK), 10);
});

/** The works of what `f` runs on the cpu backend, by kernel name. */
async function worksOf(f: () => unknown) {
  await tf.setBackend("cpu");
  const profile = await profileKernels(f);
  return profile.kernels.map((k) => tfjsKernelWork(k, 0));
}

Deno.test("tfjs kernels' work from their recorded shapes: convolutions and products by multiply-adds, the rest by elements", async () => {
  const x = tf.randomNormal([2, 8, 8, 3]) as tf.Tensor4D;
  const filter = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
  // 2 images × 8×8 outputs × 4 filters × 3×3×3 taps, two operations each.
  const macs = 2 * 8 * 8 * 4 * 27;
  const forward = await worksOf(() => tf.conv2d(x, filter, 1, "same"));
  const conv = forward.find((w) => w.kind === "Conv2D")!;
  assert.equal(conv.flops, 2 * macs);
  assert.equal(conv.bytes, 4 * (2 * 8 * 8 * 3 + 27 * 4 + 2 * 8 * 8 * 4));
  // Both gradients walk the same multiply-adds.
  const grads = await worksOf(() =>
    tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same").sum()
    )([x, filter])
  );
  for (const name of ["Conv2DBackpropInput", "Conv2DBackpropFilter"]) {
    assert.equal(grads.find((w) => w.kind === name)?.flops, 2 * macs, name);
  }
  const depthwiseFilter = tf.randomNormal([5, 5, 3, 1]) as tf.Tensor4D;
  const depthwise = await worksOf(() =>
    tf.depthwiseConv2d(x, depthwiseFilter, 2, "same")
  );
  // 2 × 4×4 outputs × 3 channels × 25 taps.
  assert.equal(
    depthwise.find((w) => w.kind === "DepthwiseConv2dNative")?.flops,
    2 * 2 * 16 * 3 * 25,
  );
  // A transposed product counts the same: 5×3 outputs of 7 multiply-adds.
  const a = tf.randomNormal([7, 5]);
  const b = tf.randomNormal([7, 3]);
  const product = await worksOf(() => tf.matMul(a, b, true, false));
  assert.equal(
    product.find((w) => w.kind === "BatchMatMul")?.flops,
    2 * 5 * 3 * 7,
  );
  // An element-wise kernel: one operation per element, inputs and output once.
  const sum = await worksOf(() => tf.add(a, a));
  assert.deepEqual(
    { flops: sum[0].flops, bytes: sum[0].bytes },
    { flops: 35, bytes: 4 * 3 * 35 },
  );
  // A reshape moves nothing.
  const view = await worksOf(() => tf.reshape(a, [35]));
  assert.deepEqual({ flops: view[0].flops, bytes: view[0].bytes }, {
    flops: 0,
    bytes: 0,
  });
  tf.dispose([x, filter, depthwiseFilter, a, b]);
});

Deno.test("kinds come by time above their bound, and the step's bound is their sum", () => {
  const works = [
    { kind: "A", flops: 1e6, bytes: 0, ms: 1.5 }, // bound 1, above 0.5
    { kind: "B", flops: 0, bytes: 1e5, ms: 4 }, // bound 1, above 3
    { kind: "A", flops: 1e6, bytes: 0, ms: 1 }, // bound 1, above 0
  ];
  const kinds = kernelKinds(works, PEAK);
  assert.deepEqual(kinds.map((k) => [k.kind, k.calls]), [["B", 1], ["A", 2]]);
  assert.equal(kinds[1].boundMs, 2);
  assert.equal(kinds[1].measuredMs, 2.5);
  const step = stepRoofline(works, PEAK);
  assert.equal(step.boundMs, 3);
  assert.equal(step.kernelMs, 6.5);
  assert.equal(step.calls, 3);
});
