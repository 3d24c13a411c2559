import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { depthwiseConv2d } from "./depthwise_conv2d.ts";
import { onEachBackend } from "../testing/backends.ts";
import { gradientCheck, randomInputs } from "../testing/gradient_check.ts";

const CASES = [
  { kernel: 3, stride: 1, padding: 1, dilation: 1 },
  { kernel: 3, stride: 2, padding: 1, dilation: 1 },
  { kernel: 5, stride: 1, padding: 2, dilation: 1 },
  { kernel: 3, stride: 1, padding: 2, dilation: 2 },
  { kernel: 3, stride: 2, padding: 2, dilation: 2 },
  { kernel: 5, stride: 1, padding: 4, dilation: 2 },
  { kernel: 5, stride: 2, padding: 4, dilation: 2 },
];

Deno.test("depthwise convolution gradients match finite differences", async (t) => {
  await onEachBackend(t, async () => {
    for (const c of CASES) {
      const [x, w] = randomInputs(
        [[2, 8, 8, 3], [c.kernel, c.kernel, 3, 1]],
        c.kernel + c.stride,
      );
      const { worst } = await gradientCheck(
        (a, b) => depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c),
        [x, w],
      );
      tf.dispose([x, w]);
      for (const e of worst) {
        assert.ok(e < 1e-2, `${JSON.stringify(c)}: mismatch ${e}`);
      }
    }
  });
});

Deno.test("a strided dilated depthwise convolution equals the stride-1 one subsampled", async (t) => {
  await onEachBackend(t, async () => {
    const [x, w] = randomInputs([[1, 9, 9, 2], [3, 3, 2, 1]], 5);
    const strided = tf.tidy(() =>
      depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, {
        stride: 2,
        padding: 2,
        dilation: 2,
      })
    );
    const dense = tf.tidy(() =>
      depthwiseConv2d(x as tf.Tensor4D, w as tf.Tensor4D, {
        stride: 1,
        padding: 2,
        dilation: 2,
      })
    );
    const sub = tf.stridedSlice(dense, [0, 0, 0, 0], [1, 9, 9, 2], [
      1,
      2,
      2,
      1,
    ]);
    assert.deepEqual(strided.shape, [1, 5, 5, 2]);
    assert.deepEqual(sub.shape, strided.shape);
    const [a, b] = await Promise.all([strided.data(), sub.data()]);
    for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) < 1e-5);
    tf.dispose([x, w, strided, dense, sub]);
  });
});
