import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { lacksBackends, onEachBackend } from "../../testing/backends.ts";
import { Random } from "../../ops/random.ts";
import { separableConv } from "../../ops/separable_conv.ts";
import { depthwiseConv2d } from "../../ops/depthwise_conv2d.ts";
import { pointwiseConv } from "../../ops/conv2d.ts";
import { withoutWeightGradients } from "../../ops/custom_gradient.ts";
import { programDispatchCount } from "./webgpu_programs.ts";
import { setReductionChunk } from "../../testing/option_setters.ts";

const CASES = [
  { channels: 4, out: 4, kernel: 3, stride: 1, padding: 1, dilation: 1 },
  { channels: 8, out: 16, kernel: 5, stride: 2, padding: 2, dilation: 1 },
  { channels: 4, out: 8, kernel: 3, stride: 1, padding: 2, dilation: 2 },
  { channels: 16, out: 16, kernel: 5, stride: 2, padding: 4, dilation: 2 },
];

/**
 * The largest difference between `a` and `b`, relative to the largest
 * magnitude in `b`.
 */
function scaledDifference(a: Float32Array, b: Float32Array): number {
  let difference = 0;
  let scale = 0;
  for (let i = 0; i < b.length; i++) {
    difference = Math.max(difference, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return difference / scale;
}

/** The filters' gradients are sums taken in another order by the fused program. */
const FILTER_GRADIENT_TOLERANCE = 1e-6;

Deno.test({
  name:
    "the fused depthwise-separable convolution gives the separate ops' bits for the output and the input gradient, and their filter gradients to 1e-6",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      const random = new Random(5);
      const tensor = (shape: number[]) =>
        tf.tensor(
          Float32Array.from(
            { length: shape.reduce((a, b) => a * b, 1) },
            () => random.normal(),
          ),
          shape,
        );
      for (const c of CASES) {
        const x = tensor([2, 9, 9, c.channels]) as tf.Tensor4D;
        const dw = tensor([c.kernel, c.kernel, c.channels, 1]) as tf.Tensor4D;
        const pw = tensor([1, 1, c.channels, c.out]);
        const options = {
          stride: c.stride,
          padding: c.padding,
          dilation: c.dilation,
        };
        const f = (
          fused: boolean,
          input: tf.Tensor,
          d: tf.Tensor,
          p: tf.Tensor,
        ) =>
          fused
            ? separableConv(input as tf.Tensor4D, d as tf.Tensor4D, p, options)
            : pointwiseConv(
              depthwiseConv2d(input as tf.Tensor4D, d as tf.Tensor4D, options),
              p,
            );
        const shape = tf.tidy(() => f(false, x, dw, pw).shape);
        const dy = tensor(shape) as tf.Tensor4D;
        const run = async (fused: boolean, weights: boolean) => {
          const before = programDispatchCount();
          const { value, grads } = weights
            ? tf.valueAndGrads((i: tf.Tensor, d: tf.Tensor, p: tf.Tensor) =>
              f(fused, i, d, p)
            )([x, dw, pw], dy)
            : withoutWeightGradients(() =>
              tf.valueAndGrads((i: tf.Tensor) => f(fused, i, dw, pw))([x], dy)
            );
          const out = {
            value: await value.data(),
            grads: await Promise.all(grads.map((g) => g.data())),
            dispatches: programDispatchCount() - before,
          };
          tf.dispose([value, ...grads]);
          return out;
        };
        for (const weights of [true, false]) {
          const fused = await run(true, weights);
          const separate = await run(false, weights);
          const label = `${JSON.stringify(c)} weights ${weights}`;
          assert.deepEqual(fused.value, separate.value, label);
          assert.equal(fused.grads.length, weights ? 3 : 1);
          assert.deepEqual(fused.grads[0], separate.grads[0], `dx, ${label}`);
          fused.grads.slice(1).forEach((g, i) => {
            const difference = scaledDifference(
              g as Float32Array,
              separate.grads[i + 1] as Float32Array,
            );
            assert.ok(
              difference <= FILTER_GRADIENT_TOLERANCE,
              `filter gradient ${i + 1}, ${label}: ${difference}`,
            );
          });
          // One forward dispatch fewer; with filter gradients, the three
          // gradients from one dispatch instead of three.
          assert.equal(
            fused.dispatches,
            separate.dispatches - (weights ? 3 : 1),
            label,
          );
        }
        // Two-level reductions: the separate gradient programs for both.
        const previous = setReductionChunk(8);
        try {
          const fused = await run(true, true);
          const separate = await run(false, true);
          fused.grads.forEach((g, i) =>
            assert.deepEqual(g, separate.grads[i], `two levels, gradient ${i}`)
          );
        } finally {
          setReductionChunk(previous);
        }
        dy.dispose();
        tf.dispose([x, dw, pw]);
      }
    }, ["webgpu"]);
  },
});
