import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { lacksBackends, onEachBackend } from "../../testing/backends.ts";
import { Random } from "../../ops/random.ts";
import { batchNormTrainingWebGpu } from "./batch_norm_programs.ts";
import { programDispatchCount } from "./webgpu_programs.ts";
import { batchNormReluTraining } from "../../ops/batch_norm.ts";
import { relu } from "../../ops/activation.ts";
import { setReductionChunk } from "../../testing/option_setters.ts";

/** Output, statistics and input gradient of one batch norm, with dispatches. */
async function run(x: tf.Tensor4D, dy: tf.Tensor4D, affine: boolean) {
  const channels = x.shape[3];
  const gamma = affine ? tf.ones([channels]) as tf.Tensor1D : undefined;
  const beta = affine ? tf.zeros([channels]) as tf.Tensor1D : undefined;
  const before = programDispatchCount();
  let statistics: tf.Tensor | undefined;
  const { value, grads } = tf.valueAndGrads((input: tf.Tensor) => {
    const result = batchNormTrainingWebGpu(
      input as tf.Tensor4D,
      gamma,
      beta,
      1e-5,
    );
    statistics = result.statistics;
    return result.output;
  })([x], dy);
  const dispatches = programDispatchCount() - before;
  const out = {
    y: await value.data(),
    statistics: await statistics!.data(),
    dx: await grads[0].data(),
    dispatches,
  };
  tf.dispose([
    value,
    ...grads,
    statistics!,
    ...(affine ? [gamma!, beta!] : []),
  ]);
  return out;
}

Deno.test({
  name:
    "batch norm without γ and β in one program a pass gives the separate programs' bits, at one and two levels",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      const random = new Random(11);
      const shape: [number, number, number, number] = [3, 5, 7, 6];
      const size = shape.reduce((a, b) => a * b, 1);
      const data = () =>
        tf.tensor4d(
          Float32Array.from({ length: size }, () => 3 + 2 * random.normal()),
          shape,
        );
      const x = data();
      const dy = data();
      // 105 pixels a channel: one level, then chunks of 16 (7 chunks, the last short).
      for (const chunk of [4096, 16]) {
        const previous = setReductionChunk(chunk);
        try {
          const fused = await run(x, dy, false);
          const separate = await run(x, dy, true);
          assert.deepEqual(fused.y, separate.y);
          assert.deepEqual(fused.statistics, separate.statistics);
          assert.deepEqual(fused.dx, separate.dx);
          // One program each way, or two at two levels; γ and β take two each way, or three.
          assert.equal(fused.dispatches, chunk === 4096 ? 2 : 4);
        } finally {
          setReductionChunk(previous);
        }
      }
      tf.dispose([x, dy]);
    }, ["webgpu"]);
  },
});

Deno.test({
  name:
    "a batch norm's ReLU fused into its programs gives the bits of the ReLU op after it, at one and two levels",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      const random = new Random(12);
      const shape: [number, number, number, number] = [3, 5, 7, 6];
      const size = shape.reduce((a, b) => a * b, 1);
      const data = () =>
        tf.tensor4d(
          Float32Array.from({ length: size }, () => 1 + random.normal()),
          shape,
        );
      const x = data();
      const dy = data();
      const pass = async (fused: boolean) => {
        let statistics: tf.Tensor | undefined;
        const before = programDispatchCount();
        const { value, grads } = tf.valueAndGrads((input: tf.Tensor) => {
          const r = fused
            ? batchNormReluTraining(input as tf.Tensor4D)
            : batchNormTrainingWebGpu(
              input as tf.Tensor4D,
              undefined,
              undefined,
              1e-5,
            );
          statistics = r.statistics;
          return fused ? r.output : relu(r.output);
        })([x], dy);
        const out = {
          y: await value.data(),
          statistics: await statistics!.data(),
          dx: await grads[0].data(),
          dispatches: programDispatchCount() - before,
        };
        tf.dispose([value, ...grads, statistics!]);
        return out;
      };
      for (const chunk of [4096, 16]) {
        const previous = setReductionChunk(chunk);
        try {
          const fused = await pass(true);
          const separate = await pass(false);
          assert.ok(fused.y.some((v) => v === 0) && fused.y.some((v) => v > 0));
          assert.deepEqual(fused.y, separate.y);
          assert.deepEqual(fused.statistics, separate.statistics);
          assert.deepEqual(fused.dx, separate.dx);
          // One program each way; at two levels the partial sums come first,
          // and backward the masked gradient before them.
          assert.equal(fused.dispatches, chunk === 4096 ? 2 : 5);
        } finally {
          setReductionChunk(previous);
        }
      }
      tf.dispose([x, dy]);
    }, ["webgpu"]);
  },
});
