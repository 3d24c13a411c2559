import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { conv2d, conv2dFilterGradComposed } from "./conv2d.ts";
import { lacksBackends, onEachBackend } from "../testing/backends.ts";
import { gradientCheck, randomInputs } from "../testing/gradient_check.ts";

const CASES = [
  { kernel: 3, stride: 1, padding: 1 },
  { kernel: 3, stride: 2, padding: 1 },
  { kernel: 1, stride: 1, padding: 0 },
  { kernel: 1, stride: 2, padding: 0 },
  { kernel: 2, stride: 1, padding: 0 },
];

Deno.test("conv2d gradients match finite differences", async (t) => {
  await onEachBackend(t, async () => {
    for (const { kernel, stride, padding } of CASES) {
      const [x, w] = randomInputs(
        [[2, 7, 7, 3], [kernel, kernel, 3, 4]],
        kernel * 10 + stride,
      );
      const { worst } = await gradientCheck(
        (a, b) =>
          conv2d(a as tf.Tensor4D, b as tf.Tensor4D, { stride, padding }),
        [x, w],
      );
      tf.dispose([x, w]);
      for (const e of worst) {
        assert.ok(e < 1e-2, `k${kernel} s${stride} p${padding}: mismatch ${e}`);
      }
    }
  });
});

Deno.test("conv2d pads symmetrically like PyTorch, not like TensorFlow 'same'", async (t) => {
  await onEachBackend(t, async () => {
    // A 4x4 input of ones, 3x3 ones filter, stride 2, padding 1: PyTorch's
    // windows start at -1 and 1, so the corner sees 4 pixels, the next 6.
    const x = tf.ones([1, 4, 4, 1]) as tf.Tensor4D;
    const w = tf.ones([3, 3, 1, 1]) as tf.Tensor4D;
    const y = tf.tidy(() => conv2d(x, w, { stride: 2, padding: 1 }));
    assert.deepEqual(y.shape, [1, 2, 2, 1]);
    assert.deepEqual(Array.from(await y.data()), [4, 6, 6, 9]);
    tf.dispose([x, w, y]);
  });
});

Deno.test({
  name: "the composed filter gradient equals the native one where it exists",
  ignore: await lacksBackends(["cpu", "webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      const [x, dy] = randomInputs([[2, 6, 6, 3], [2, 3, 3, 5]], 3);
      const composed = conv2dFilterGradComposed(
        x as tf.Tensor4D,
        dy as tf.Tensor4D,
        [3, 3, 3, 5],
        2,
        1,
      );
      const native = tf.tidy(() =>
        tf.grad((w: tf.Tensor) =>
          tf.sum(
            tf.mul(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 2, 1), dy),
          )
        )(tf.zeros([3, 3, 3, 5]))
      );
      const [a, b] = await Promise.all([composed.data(), native.data()]);
      for (let i = 0; i < a.length; i++) {
        assert.ok(Math.abs(a[i] - b[i]) < 1e-4);
      }
      tf.dispose([x, dy, composed, native]);
    }, ["cpu", "webgpu"]);
  },
});

Deno.test("a convolution of images makes no input gradient, and the same filter gradient", async (t) => {
  await onEachBackend(t, async () => {
    const [x, w] = randomInputs([[2, 6, 6, 3], [3, 3, 3, 5]], 11);
    const gradient = async (inputGradient: boolean) => {
      let dw: tf.Tensor | undefined;
      const profile = await tf.profile(() => {
        dw = tf.grad((filter: tf.Tensor) =>
          tf.sum(
            tf.square(
              conv2d(x as tf.Tensor4D, filter as tf.Tensor4D, {
                padding: 1,
                inputGradient,
              }),
            ),
          )
        )(w);
      });
      const values = await dw!.data();
      dw!.dispose();
      return { values, kernels: profile.kernels.map((k) => k.name) };
    };
    const portable = await gradient(true);
    const images = await gradient(false);
    tf.dispose([x, w]);
    assert.deepEqual(images.values, portable.values);
    assert.ok(portable.kernels.includes("Conv2DBackpropInput"));
    assert.ok(
      !images.kernels.includes("Conv2DBackpropInput"),
      `${images.kernels}`,
    );
  });
});
