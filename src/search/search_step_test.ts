import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { lacksBackends, onEachBackend } from "../testing/backends.ts";
import { SearchNetwork } from "../space/search_network.ts";
import { resolveSearchConfig } from "./search_config.ts";
import { searchOptimizers } from "./search.ts";
import { NonFiniteLossError, searchStep } from "./search_step.ts";

Deno.test({
  name:
    "a search step updates weights and architecture, leaks nothing, and stops on a NaN loss before the weights change",
  ignore: await lacksBackends(["cpu", "wasm"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      const network = new SearchNetwork({
        channels: 8,
        layers: 3,
        numClasses: 10,
        partialChannels: 2,
        edgeNormalization: true,
        seed: 4,
      });
      const { sgd, adam } = searchOptimizers(
        network,
        resolveSearchConfig("pcdarts", "paper"),
      );
      const step = {
        network,
        adam,
        sgd,
        archLearningRate: 6e-4,
        secondOrder: false,
        weightLearningRate: 0.025,
        gradientClip: 5,
      };
      const batch = (seed: number, scale = 1) => ({
        images: tf.tidy(() =>
          tf.mul(tf.randomNormal([2, 8, 8, 3], 0, 1, "float32", seed), scale)
        ) as tf.Tensor4D,
        labels: tf.tensor1d([3, 7], "int32"),
      });
      const train = batch(1), valid = batch(2);
      const snapshot = async (variables: tf.Variable[]) =>
        await Promise.all(variables.map(async (v) => await v.data()));
      const weightsBefore = await snapshot(network.weightVariables());
      const alphasBefore = await snapshot(network.architectureVariables());

      const first = await searchStep(
        step,
        { architecture: valid, weights: train },
        "step 0",
        true,
      );
      assert.ok(Number.isFinite(first.loss) && first.loss > 0);
      assert.ok(Number.isFinite(first.architectureLoss!));
      assert.deepEqual(first.logits!.shape, [2, 10]);
      first.logits!.dispose();
      assert.notDeepEqual(
        await snapshot(network.weightVariables()),
        weightsBefore,
      );
      assert.notDeepEqual(
        await snapshot(network.architectureVariables()),
        alphasBefore,
      );
      const tensors = tf.memory().numTensors;
      // A clip that certainly scales (clipping replaces every gradient).
      const warmUp = await searchStep(
        { ...step, gradientClip: 1e-6 },
        { architecture: null, weights: train },
        "step 1",
      );
      assert.equal(warmUp.architectureLoss, null);
      assert.equal(warmUp.logits, undefined);
      assert.equal(tf.memory().numTensors, tensors, "no tensor left");

      const poisoned = batch(3, NaN);
      const weights = await snapshot(network.weightVariables());
      await assert.rejects(
        () =>
          searchStep(step, { architecture: null, weights: poisoned }, "step 2"),
        (error: Error) =>
          error instanceof NonFiniteLossError &&
          /training loss is NaN at step 2/.test(error.message),
      );
      assert.deepEqual(await snapshot(network.weightVariables()), weights);
      assert.equal(tf.memory().numTensors, tensors + 2, "only the batch");
      tf.dispose([
        train.images,
        train.labels,
        valid.images,
        valid.labels,
        poisoned.images,
        poisoned.labels,
      ]);
      sgd.dispose();
      adam.dispose();
      network.dispose();
    }, ["cpu", "wasm"]);
  },
});
