import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { onEachBackend } from "../../testing/backends.ts";
import { gradientCheck, randomInputs } from "../../testing/gradient_check.ts";
import { depthwiseConv2d } from "../depthwise_conv2d.ts";
import { pointwiseConv } from "../conv2d.ts";
import { setSimdKernelsEnabled, simdKernels } from "./simd_kernels.ts";

/** Value and input gradients of `f(...inputs)·probe` with the kernels on or off. */
function valueAndGrads(
  f: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  kernelsOn: boolean,
): Float32Array[] {
  const before = setSimdKernelsEnabled(kernelsOn);
  try {
    return tf.tidy(() => {
      const y = f(...inputs);
      const probe = tf.randomNormal(y.shape, 0, 1, "float32", 7);
      const grads = tf.grads((...xs: tf.Tensor[]) =>
        tf.sum(tf.mul(f(...xs), probe))
      )(
        inputs,
      );
      return [y, ...grads].map((t) => t.dataSync() as Float32Array);
    });
  } finally {
    setSimdKernelsEnabled(before);
  }
}

function assertClose(a: Float32Array[], b: Float32Array[], label: string) {
  assert.equal(a.length, b.length);
  a.forEach((values, k) => {
    let scale = 0;
    let worst = 0;
    for (let i = 0; i < values.length; i++) {
      scale = Math.max(scale, Math.abs(b[k][i]));
      worst = Math.max(worst, Math.abs(values[i] - b[k][i]));
    }
    assert.ok(
      worst <= 1e-5 * Math.max(1, scale),
      `${label} part ${k}: ${worst} against scale ${scale}`,
    );
  });
}

const DEPTHWISE_CASES = [
  { channels: 4, kernel: 3, stride: 1, padding: 1, dilation: 1 },
  { channels: 8, kernel: 5, stride: 1, padding: 2, dilation: 1 },
  { channels: 4, kernel: 3, stride: 2, padding: 1, dilation: 1 },
  { channels: 12, kernel: 3, stride: 1, padding: 2, dilation: 2 },
  { channels: 4, kernel: 5, stride: 2, padding: 4, dilation: 2 },
  { channels: 3, kernel: 3, stride: 2, padding: 2, dilation: 2 },
  { channels: 2, kernel: 5, stride: 1, padding: 4, dilation: 2 },
];

Deno.test("the wasm SIMD depthwise kernels equal the portable convolution and its gradients", async (t) => {
  await onEachBackend(t, () => {
    assert.ok(simdKernels() !== null, "the kernels are prepared on wasm");
    for (const c of DEPTHWISE_CASES) {
      const [x, w] = randomInputs(
        [[3, 9, 10, c.channels], [c.kernel, c.kernel, c.channels, 1]],
        c.channels + c.kernel,
      );
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c);
      const simd = valueAndGrads(f, [x, w], true);
      const portable = valueAndGrads(f, [x, w], false);
      tf.dispose([x, w]);
      assertClose(simd, portable, JSON.stringify(c));
    }
  }, ["wasm"]);
});

Deno.test("the wasm SIMD depthwise kernels match finite differences", async (t) => {
  await onEachBackend(t, async () => {
    for (const c of DEPTHWISE_CASES.slice(0, 5)) {
      const [x, w] = randomInputs(
        [[2, 7, 7, c.channels], [c.kernel, c.kernel, c.channels, 1]],
        c.kernel + 2 * c.stride,
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
  }, ["wasm"]);
});

Deno.test("the wasm SIMD pointwise product equals tfjs' matMul and its gradients", async (t) => {
  await onEachBackend(t, async () => {
    for (const [inner, cols] of [[4, 4], [4, 6], [2, 8], [8, 8], [16, 4]]) {
      const [x, w] = randomInputs(
        [[2, 5, 7, inner], [1, 1, inner, cols]],
        inner,
      );
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        pointwiseConv(a as tf.Tensor4D, b);
      assertClose(
        valueAndGrads(f, [x, w], true),
        valueAndGrads(f, [x, w], false),
        `${inner} -> ${cols}`,
      );
      const { worst } = await gradientCheck(f, [x, w]);
      tf.dispose([x, w]);
      for (const e of worst) assert.ok(e < 1e-2, `${inner} -> ${cols}: ${e}`);
    }
  }, ["wasm"]);
});
