import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { lacksBackends, onEachBackend } from "../../testing/backends.ts";
import {
  partialChannelOutput,
  weightedPartialChannelOutput,
} from "../../ops/partial_channel_output.ts";
import { weightedSum } from "../../ops/layout.ts";
import { withoutMixingWeightGradients } from "../../ops/custom_gradient.ts";
import { maxPool } from "../../ops/pooling.ts";
import { programDispatchCount } from "./webgpu_programs.ts";

Deno.test({
  name:
    "a MixedOp's weighted sum written into the shuffled output gives the separate programs' bits, every gradient included",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      for (const [k, stride] of [[4, 1], [4, 2], [2, 1]]) {
        const channels = 8;
        const part = channels / k;
        const side = 6 / stride;
        const x = tf.randomNormal(
          [2, 6, 6, channels],
          0,
          1,
          "float32",
          k + stride,
        ) as tf.Tensor4D;
        const terms = [0, 1, 2, 3, 4, 5, 6].map((i) =>
          tf.randomNormal(
            [2, side, side, part],
            0,
            1,
            "float32",
            10 + i,
          ) as tf.Tensor4D
        );
        const weights = tf.tidy(() =>
          tf.softmax(tf.randomNormal([24], 0, 1, "float32", 3))
        ) as tf.Tensor1D;
        // A cell's weights: this edge's row from 8 on (no term at 8 itself).
        const indices = [9, 10, 11, 12, 13, 14, 15];
        const dy = tf.randomNormal(
          [2, side, side, channels],
          0,
          1,
          "float32",
          4,
        ) as tf.Tensor4D;
        const bypassed = (input: tf.Tensor4D) => () => {
          const rest = tf.slice(input, [0, 0, 0, part], [
            2,
            6,
            6,
            channels - part,
          ]) as tf.Tensor4D;
          return stride === 1 ? rest : maxPool(rest, 2, 2, 0);
        };
        const run = async (fused: boolean, mixing: boolean) => {
          const f = (input: tf.Tensor, w: tf.Tensor, ...ts: tf.Tensor[]) =>
            fused
              ? weightedPartialChannelOutput(
                ts as tf.Tensor4D[],
                w as tf.Tensor1D,
                indices,
                input as tf.Tensor4D,
                k,
                stride,
                bypassed(input as tf.Tensor4D),
              )
              : partialChannelOutput(
                weightedSum(ts as tf.Tensor4D[], w as tf.Tensor1D, indices),
                input as tf.Tensor4D,
                k,
                stride,
                bypassed(input as tf.Tensor4D),
              );
          const before = programDispatchCount();
          const { value, grads } = mixing
            ? tf.valueAndGrads(f)([x, weights, ...terms], dy)
            : withoutMixingWeightGradients(() =>
              tf.valueAndGrads((input: tf.Tensor, ...ts: tf.Tensor[]) =>
                f(input, weights, ...ts)
              )([x, ...terms], dy)
            );
          const out = {
            value: await value.data(),
            grads: await Promise.all(grads.map((g) => g.data())),
            dispatches: programDispatchCount() - before,
          };
          tf.dispose([value, ...grads]);
          return out;
        };
        for (const mixing of [true, false]) {
          const fused = await run(true, mixing);
          const separate = await run(false, mixing);
          const label = `k ${k} stride ${stride} mixing ${mixing}`;
          assert.deepEqual(fused.value, separate.value, label);
          fused.grads.forEach((g, i) =>
            assert.deepEqual(g, separate.grads[i], `${label} gradient ${i}`)
          );
          // Forward 2 → 1; backward the shuffle's and the terms' gradients (and
          // the weights') in one.
          assert.equal(
            fused.dispatches,
            separate.dispatches - (mixing ? 3 : 2),
            label,
          );
        }
        tf.dispose([x, weights, dy, ...terms]);
      }
    }, ["webgpu"]);
  },
});
