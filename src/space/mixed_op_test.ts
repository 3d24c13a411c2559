import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { MixedOp } from "./mixed_op.ts";
import { channelShuffle } from "../ops/channel_shuffle.ts";
import { ParameterStore } from "./parameters.ts";
import { Random } from "../ops/random.ts";
import { lacksBackends, onEachBackend } from "../testing/backends.ts";
import {
  setSimdKernelsEnabled,
  setWebGpuProgramsEnabled,
} from "../testing/option_setters.ts";

Deno.test("channel shuffle sends channel g*(C/K)+j to j*K+g", async (t) => {
  await onEachBackend(t, async () => {
    const x = tf.tidy(() =>
      tf.reshape(tf.range(0, 8), [1, 1, 1, 8])
    ) as tf.Tensor4D;
    const y = tf.tidy(() => channelShuffle(x, 4));
    // groups of C/K=2: [0,1][2,3][4,5][6,7] -> [0,2,4,6,1,3,5,7]
    assert.deepEqual(Array.from(await y.data()), [0, 2, 4, 6, 1, 3, 5, 7]);
    tf.dispose([x, y]);
  });
});

Deno.test({
  name:
    "random channel sampling keeps bypassed channels in place and is seeded",
  ignore: await lacksBackends(["cpu", "wasm"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      const run = async (seed: number) => {
        const store = new ParameterStore(1);
        const op = new MixedOp(store, "", 8, 1, {
          partialChannels: 4,
          channelSampling: "random",
          random: new Random(seed),
        });
        const x = tf.randomNormal(
          [2, 4, 4, 8],
          0,
          1,
          "float32",
          3,
        ) as tf.Tensor4D;
        const weights = tf.tidy(() =>
          tf.softmax(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7]))
        ) as tf.Tensor1D;
        const y = tf.tidy(() => op.forward(x, weights, { training: true }));
        const [xs, ys] = [await x.data(), await y.data()];
        tf.dispose([x, y, weights]);
        store.dispose();
        let unchanged = 0;
        for (let ch = 0; ch < 8; ch++) {
          let same = true;
          for (let i = ch; i < xs.length; i += 8) same &&= xs[i] === ys[i];
          if (same) unchanged++;
        }
        return { unchanged, ys };
      };
      const a = await run(1);
      const b = await run(1);
      assert.equal(a.unchanged, 6, "C - C/K channels bypass untouched");
      assert.deepEqual(a.ys, b.ys);
    }, ["cpu", "wasm"]);
  },
});

Deno.test("K must divide the channels", () => {
  const store = new ParameterStore(0);
  assert.throws(
    () =>
      new MixedOp(store, "", 6, 1, {
        partialChannels: 4,
        channelSampling: "first",
      }),
    /6 channels are not divisible by K=4/,
  );
});

Deno.test({
  name:
    "the wasm and webgpu MixedOps (shuffle fused with the bypass) equal the portable one, with gradients",
  ignore: await lacksBackends(["wasm", "webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      for (
        const [channels, k, stride] of [[16, 4, 1], [16, 4, 2], [32, 4, 1], [
          8,
          4,
          1,
        ], [
          12,
          2,
          2,
        ]]
      ) {
        const store = new ParameterStore(5);
        const op = new MixedOp(store, "", channels, stride, {
          partialChannels: k,
          channelSampling: "first",
        });
        const x = tf.randomNormal(
          [2, 6, 6, channels],
          0,
          1,
          "float32",
          channels + k,
        ) as tf.Tensor4D;
        const weights = tf.tidy(() =>
          tf.softmax(tf.tensor1d([0.3, 1, 2, 0.5, 1.5, 0.1, 0.7, 1.2]))
        ) as tf.Tensor1D;
        const run = async (kernelsOn: boolean) => {
          const before = setSimdKernelsEnabled(kernelsOn);
          const programsBefore = setWebGpuProgramsEnabled(kernelsOn);
          try {
            const tensors = tf.tidy(() => {
              const probe = tf.randomNormal(
                op.forward(x, weights, { training: true }).shape,
                0,
                1,
                "float32",
                9,
              );
              const { value, grads } = tf.variableGrads(
                () =>
                  tf.sum(
                    tf.mul(op.forward(x, weights, { training: true }), probe),
                  )
                    .asScalar(),
                [...store.entries.values()].filter((p) => p.trainable).map((
                  p,
                ) => p.variable),
              );
              const inputGrad = tf.grad((input: tf.Tensor) =>
                tf.sum(
                  tf.mul(
                    op.forward(input as tf.Tensor4D, weights, {
                      training: true,
                    }),
                    probe,
                  ),
                )
              )(x);
              return [
                value,
                inputGrad,
                ...Object.keys(grads).sort().map((name) => grads[name]),
              ];
            });
            const values = await Promise.all(tensors.map((g) => g.data()));
            tf.dispose(tensors);
            return values.map((v) => Array.from(v));
          } finally {
            setSimdKernelsEnabled(before);
            setWebGpuProgramsEnabled(programsBefore);
          }
        };
        const fused = await run(true);
        const portable = await run(false);
        tf.dispose([x, weights]);
        store.dispose();
        assert.equal(fused.length, portable.length);
        fused.forEach((values, i) => {
          const worst = values.reduce(
            (m, v, j) => Math.max(m, Math.abs(v - portable[i][j])),
            0,
          );
          const scale = portable[i].reduce(
            (m, v) => Math.max(m, Math.abs(v)),
            1,
          );
          assert.ok(
            worst <= 1e-5 * scale,
            `C=${channels} K=${k} stride ${stride}, part ${i}: ${worst}`,
          );
        });
      }
    }, ["wasm", "webgpu"]);
  },
});
