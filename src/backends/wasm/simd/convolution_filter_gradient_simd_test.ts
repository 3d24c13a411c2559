import assert from "node:assert/strict";
import * as tf from "../../../tf.ts";
import { initBackend } from "../../init.ts";
import {
  conv2dFilterGradComposed,
  conv2dFilterGradient,
} from "../../../ops/conv2d.ts";
import { setSimdKernelsEnabled } from "../../../testing/option_setters.ts";

Deno.test("the wasm filter gradient of a convolution (per tap, the SIMD transposed product) gives the bits of tfjs' products (its blocked order of sums), and leaves odd output widths to them", async () => {
  await initBackend("wasm");
  const cases: {
    x: [number, number, number, number];
    filter: [number, number, number, number];
    stride: number;
    padding: number;
  }[] = [
    // The cifar stem: 3 to 48 channels, 3x3, padding 1.
    { x: [4, 16, 16, 3], filter: [3, 3, 3, 48], stride: 1, padding: 1 },
    // A factorized reduction's 1x1 stride-2 halves.
    { x: [4, 8, 8, 16], filter: [1, 1, 16, 8], stride: 2, padding: 0 },
    // A strided 3x3 with padding, odd input width.
    { x: [2, 9, 9, 8], filter: [3, 3, 8, 12], stride: 2, padding: 1 },
  ];
  for (const [i, c] of cases.entries()) {
    const x = tf.randomNormal(c.x, 0, 1, "float32", 10 + i) as tf.Tensor4D;
    const outSide =
      Math.floor((c.x[1] + 2 * c.padding - c.filter[0]) / c.stride) +
      1;
    const dy = tf.randomNormal(
      [
        c.x[0],
        outSide,
        Math.floor((c.x[2] + 2 * c.padding - c.filter[1]) / c.stride) + 1,
        c.filter[3],
      ],
      0,
      1,
      "float32",
      20 + i,
    ) as tf.Tensor4D;
    const before = tf.memory().numTensors;
    let ours: tf.Tensor4D | null = null;
    const profile = await tf.profile(() => {
      ours = conv2dFilterGradient(x, dy, c.filter, c.stride, c.padding);
      return ours;
    });
    // No tfjs product ran, and nothing is left behind but the result.
    assert.deepEqual(
      profile.kernels.filter((k) => k.name === "BatchMatMul").length,
      0,
      JSON.stringify(c),
    );
    assert.equal(tf.memory().numTensors, before + 1, JSON.stringify(c));
    const previous = setSimdKernelsEnabled(false);
    const theirs = conv2dFilterGradComposed(
      x,
      dy,
      c.filter,
      c.stride,
      c.padding,
    );
    setSimdKernelsEnabled(previous);
    const result = ours! as tf.Tensor4D;
    assert.deepEqual(result.shape, c.filter);
    // tfjs' order of sums: the same bits.
    assert.deepEqual(
      await result.data(),
      await theirs.data(),
      JSON.stringify(c),
    );
    tf.dispose([x, dy, result, theirs]);
  }
  // Output channels not in fours: tfjs' products, as before.
  const x = tf.randomNormal([2, 6, 6, 4], 0, 1, "float32", 3) as tf.Tensor4D;
  const dy = tf.randomNormal([2, 6, 6, 6], 0, 1, "float32", 4) as tf.Tensor4D;
  const profile = await tf.profile(() =>
    conv2dFilterGradient(x, dy, [3, 3, 4, 6], 1, 1)
  );
  assert.equal(
    profile.kernels.filter((k) => k.name === "BatchMatMul").length,
    9,
  );
  tf.dispose([x, dy]);
});
