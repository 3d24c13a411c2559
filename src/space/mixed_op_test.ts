import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { channelShuffle, MixedOp } from "./mixed_op.ts";
import { ParameterStore } from "./parameters.ts";
import { Random } from "../random.ts";
import { onEachBackend } from "../testing/backends.ts";

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

Deno.test("random channel sampling keeps bypassed channels in place and is seeded", async (t) => {
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
