import assert from "node:assert/strict";
import * as tf from "../../../tf.ts";
import { lacksBackends, onEachBackend } from "../../../testing/backends.ts";
import {
  gradientCheck,
  randomInputs,
} from "../../../testing/gradient_check.ts";
import { separableConvBatchNorm } from "../../../ops/separable_block.ts";
import { separableConv } from "../../../ops/separable_conv.ts";
import {
  batchNormReluTraining,
  type BatchNormResult,
  batchNormTraining,
} from "../../../ops/batch_norm.ts";
import { withoutWeightGradients } from "../../../ops/custom_gradient.ts";
import type { DepthwiseOptions } from "../../../ops/depthwise_conv2d.ts";

const CASES = [
  { channels: 2, kernel: 3, stride: 1, padding: 1, dilation: 1 },
  { channels: 4, kernel: 5, stride: 2, padding: 2, dilation: 1 },
  { channels: 8, kernel: 3, stride: 1, padding: 2, dilation: 2 },
  { channels: 4, kernel: 5, stride: 1, padding: 4, dilation: 2 },
  // Not fused (the products of 6 channels run reshaped): the ops one by one.
  { channels: 6, kernel: 3, stride: 2, padding: 1, dilation: 1 },
];

type Block = (
  x: tf.Tensor4D,
  dw: tf.Tensor4D,
  pw: tf.Tensor,
  options: DepthwiseOptions,
  thenRelu: boolean,
) => BatchNormResult;

const fused: Block = (x, dw, pw, options, thenRelu) =>
  separableConvBatchNorm(x, dw, pw, options, thenRelu);

const oneByOne: Block = (x, dw, pw, options, thenRelu) => {
  const mixed = separableConv(x, dw, pw, options);
  return thenRelu ? batchNormReluTraining(mixed) : batchNormTraining(mixed);
};

/** Output, statistics, and the gradients of a probe's projection. */
async function outcome(
  block: Block,
  inputs: tf.Tensor[],
  options: DepthwiseOptions,
  thenRelu: boolean,
  weights: boolean,
): Promise<Float32Array[]> {
  const [x, dw, pw] = inputs as [tf.Tensor4D, tf.Tensor4D, tf.Tensor];
  const tensors = tf.tidy(() => {
    const { output, statistics } = block(x, dw, pw, options, thenRelu);
    const probe = tf.randomNormal(output.shape, 0, 1, "float32", 5);
    const loss = () => {
      const r = block(x, dw, pw, options, thenRelu);
      r.statistics.dispose();
      return tf.sum(tf.mul(r.output, probe)) as tf.Scalar;
    };
    const variables = inputs.filter((t): t is tf.Variable =>
      t instanceof tf.Variable
    );
    const compute = () => tf.variableGrads(loss, variables);
    const { value, grads } = weights
      ? compute()
      : withoutWeightGradients(compute);
    // An architecture step differentiates the input alone.
    const differentiated = variables.flatMap((v) =>
      grads[v.name] ? [grads[v.name]] : []
    );
    return [output, statistics, value, ...differentiated];
  });
  const values = await Promise.all(tensors.map((t) => t.data()));
  tf.dispose(tensors);
  return values as Float32Array[];
}

Deno.test({
  name:
    "the wasm separable block equals its ops one by one, bit for bit, in weight and architecture steps",
  ignore: await lacksBackends(["wasm"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      for (const c of CASES) {
        const [x, dw, pw] = randomInputs(
          [[3, 9, 10, c.channels], [c.kernel, c.kernel, c.channels, 1], [
            1,
            1,
            c.channels,
            c.channels,
          ]],
          c.channels + c.kernel,
        );
        // The input is a variable too, for its gradient.
        const variables = [tf.variable(x), tf.variable(dw), tf.variable(pw)];
        for (const thenRelu of [false, true]) {
          for (const weights of [true, false]) {
            const label = `${JSON.stringify(c)}, relu ${thenRelu}, ` +
              `filter gradients ${weights}`;
            const a = await outcome(fused, variables, c, thenRelu, weights);
            const b = await outcome(oneByOne, variables, c, thenRelu, weights);
            assert.equal(a.length, b.length, label);
            a.forEach((part, i) =>
              assert.deepEqual(part, b[i], `${label}: part ${i}`)
            );
          }
        }
        tf.dispose([x, dw, pw, ...variables]);
      }
    }, ["wasm"]);
  },
});

Deno.test({
  name:
    "the wasm separable block records one tape node and matches central differences",
  ignore: await lacksBackends(["wasm"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      const engine = tf.engine() as unknown as {
        state: { activeTape: unknown[] | null };
      };
      for (const thenRelu of [false, true]) {
        const [x, dw, pw] = randomInputs(
          [[2, 6, 7, 4], [3, 3, 4, 1], [1, 1, 4, 8]],
          11,
        );
        const options = { stride: 1, padding: 2, dilation: 2 };
        const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
          const r = separableConvBatchNorm(
            a as tf.Tensor4D,
            b as tf.Tensor4D,
            c,
            options,
            thenRelu,
          );
          r.statistics.dispose();
          return r.output;
        };
        let nodes = -1;
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => {
          const y = f(a, b, c);
          nodes = engine.state.activeTape?.length ?? -1;
          return tf.sum(y);
        })([x, dw, pw]);
        tf.dispose(grads);
        assert.equal(nodes, 1, `relu ${thenRelu}: one node for the block`);
        // Small steps: fewer outputs cross the ReLU's kink between the two
        // evaluations.
        const { worst } = await gradientCheck(f, [x, dw, pw], {
          epsilon: thenRelu ? 3e-4 : 1e-2,
        });
        tf.dispose([x, dw, pw]);
        for (const e of worst) assert.ok(e < 1e-2, `relu ${thenRelu}: ${e}`);
      }
    }, ["wasm"]);
  },
});
