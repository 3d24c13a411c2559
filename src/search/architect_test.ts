import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { SearchNetwork } from "../space/search_network.ts";
import { onEachBackend } from "../testing/backends.ts";
import { assertClose } from "../testing/path_comparison.ts";
import { lossAndGradients, virtualWeights } from "./architect.ts";
import { Sgd } from "../optim/optimizers.ts";

/** A C=8, 3-layer search network with edge normalization and a batch of 2. */
function smallSearch(
  partialChannels: number,
  seed: number,
  imageSeed: number,
  labels: number[],
) {
  const network = new SearchNetwork({
    channels: 8,
    layers: 3,
    numClasses: 10,
    partialChannels,
    edgeNormalization: true,
    seed,
  });
  const batch = {
    images: tf.randomNormal(
      [2, 8, 8, 3],
      0,
      1,
      "float32",
      imageSeed,
    ) as tf.Tensor4D,
    labels: tf.tensor1d(labels, "int32"),
  };
  return { network, batch };
}

Deno.test("architecture-only gradients (no weight gradients made) equal those of a full backward pass, with no leaks", async (t) => {
  await onEachBackend(t, async () => {
    const { network, batch } = smallSearch(4, 3, 2, [1, 7]);
    const architecture = network.architectureVariables();
    const gradients = async (variables: tf.Variable[]) => {
      const { loss, grads } = lossAndGradients(
        network,
        batch,
        variables,
        false,
      );
      const values = await Promise.all(
        architecture.map((v) => grads[v.name].data()),
      );
      tf.dispose([loss, ...Object.values(grads)]);
      return values;
    };
    // The first call builds what later ones reuse (compiled programs, caches).
    const only = await gradients(architecture);
    const before = tf.memory().numTensors;
    const onlyAgain = await gradients(architecture);
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    const full = await gradients([
      ...architecture,
      ...network.weightVariables(),
    ]);
    full.forEach((values, k) => {
      let scale = 0;
      let worst = 0;
      for (let i = 0; i < values.length; i++) {
        scale = Math.max(scale, Math.abs(values[i]));
        worst = Math.max(worst, Math.abs(values[i] - only[k][i]));
        assert.equal(onlyAgain[k][i], only[k][i], "repeatable");
      }
      assert.ok(worst <= 1e-6 * Math.max(1, scale), `${worst} of ${scale}`);
    });
    tf.dispose([batch.images, batch.labels]);
    network.dispose();
  });
});

Deno.test("weight-only gradients (no mixing-weight gradients made) equal those of a full backward pass, in fewer kernels", async (t) => {
  await onEachBackend(t, async () => {
    const { network, batch } = smallSearch(2, 6, 4, [2, 9]);
    const weights = network.weightVariables();
    const gradients = async (variables: tf.Variable[]) => {
      let result: ReturnType<typeof lossAndGradients>;
      const profile = await tf.profile(() => {
        result = lossAndGradients(network, batch, variables, false);
        return [];
      });
      const { loss, grads } = result!;
      const values = await Promise.all(
        weights.map((v) => grads[v.name].data()),
      );
      tf.dispose([loss, ...Object.values(grads)]);
      return { values, kernels: profile.kernels.length };
    };
    await gradients(weights); // builds what later calls reuse
    const before = tf.memory().numTensors;
    const only = await gradients(weights);
    assert.equal(tf.memory().numTensors, before, "tensors leaked");
    const full = await gradients([
      ...weights,
      ...network.architectureVariables(),
    ]);
    assert.ok(
      only.kernels < full.kernels,
      `${only.kernels} kernels, full pass ${full.kernels}`,
    );
    assertClose(
      only.values as Float32Array[],
      full.values as Float32Array[],
      "weight gradients",
      1e-6,
    );
    tf.dispose([batch.images, batch.labels]);
    network.dispose();
  });
});

function near(actual: ArrayLike<number>, expected: number[]) {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) =>
    assert.ok(Math.abs(actual[i] - e) < 1e-6, `${i}: ${actual[i]} vs ${e}`)
  );
}

Deno.test("the unrolled step's virtual weights take the momentum buffer and the weight decay: w' = w - xi (0.9 buf + g + wd w)", async (t) => {
  await onEachBackend(t, async () => {
    const w = tf.tidy(() =>
      tf.variable(tf.tensor1d([1, -2]), true, "virtual_w")
    );
    const gradients = { [w.name]: tf.tensor1d([0.5, 0.25]) };
    const sgd = new Sgd([w], { momentum: 0.9, weightDecay: 0.1 });
    try {
      // Before the first weight step there is no buffer: w - 0.5 (g + 0.1 w).
      const first = virtualWeights([w], gradients, sgd, 0.5);
      near(await first[0].data(), [0.7, -2.025]);
      sgd.buffers.set(w.name, tf.tensor1d([1, 1]));
      // 1 - 0.5 (0.9 + 0.5 + 0.1) and -2 - 0.5 (0.9 + 0.25 - 0.2).
      const second = virtualWeights([w], gradients, sgd, 0.5);
      near(await second[0].data(), [0.25, -2.475]);
      // The virtual step moves neither the weights nor the buffer.
      assert.deepEqual([...await w.data()], [1, -2]);
      assert.deepEqual([...await sgd.buffers.get(w.name)!.data()], [1, 1]);
      tf.dispose([...first, ...second]);
    } finally {
      sgd.dispose();
      tf.dispose([w, ...Object.values(gradients)]);
    }
  });
});
