import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { onEachBackend } from "../testing/backends.ts";
import { assertClose } from "../testing/path_comparison.ts";
import { profiledSearchPass } from "../testing/search_pass.ts";
import { SearchNetwork } from "./search_network.ts";

/**
 * Loss, every gradient (weights, alphas, betas) and every running statistic
 * after one training-mode step, with the edges' common computations shared or
 * not.
 */
async function stepOutcome(
  partialChannels: number,
  share: boolean,
): Promise<{
  values: Float32Array[];
  running: Map<string, Float32Array>;
  kernels: number;
  peakBytes: number;
}> {
  const network = new SearchNetwork({
    sharedEdgeInputs: share,
    channels: 8,
    layers: 3,
    numClasses: 10,
    partialChannels,
    edgeNormalization: partialChannels > 1,
    seed: 5,
  });
  const tensorsBefore = tf.memory().numTensors;
  const { values, kernelNames, peakBytes } = await profiledSearchPass(network);
  assert.equal(tf.memory().numTensors, tensorsBefore, "no tensor left");
  const running = new Map<string, Float32Array>();
  for (const p of network.weights.entries.values()) {
    if (!p.trainable) {
      running.set(p.name, await p.variable.data() as Float32Array);
    }
  }
  network.dispose();
  return {
    values,
    running,
    kernels: kernelNames.length,
    peakBytes,
  };
}

Deno.test("sharing the edges' common computations changes no loss, gradient or running statistic", async (t) => {
  await onEachBackend(t, async (backend) => {
    // webgpu on lavapipe compiles a program per shape: K=2 only there.
    for (const k of backend === "webgpu" ? [2] : [2, 1]) {
      const shared = await stepOutcome(k, true);
      const separate = await stepOutcome(k, false);
      assertClose(shared.values, separate.values, `K=${k}`, 1e-5);
      // And it is shared: fewer kernels, a lower peak.
      assert.ok(
        shared.kernels < separate.kernels,
        `K=${k} kernels ${shared.kernels} vs ${separate.kernels}`,
      );
      assert.ok(
        shared.peakBytes < separate.peakBytes,
        `K=${k} peak ${shared.peakBytes} vs ${separate.peakBytes}`,
      );
      assert.equal(shared.running.size, separate.running.size);
      for (const [name, values] of separate.running) {
        assertClose([shared.running.get(name)!], [values], name, 1e-6);
      }
      // Each edge's pooling BatchNorm kept its own statistics: the edges from
      // one state hold the same ones, and they moved from their start.
      const pooled = [...shared.running.entries()].filter(([name]) =>
        /^cells\.0\._ops\.(0|2|5|9)\._ops\.1\.1\./.test(name)
      );
      assert.equal(pooled.length, 4, `${[...shared.running.keys()]}`);
      for (const [name, values] of pooled) {
        assert.deepEqual(values, pooled[0][1], name);
      }
      const first = pooled[0][1];
      assert.ok(first.some((v, i) => v !== (i < first.length / 2 ? 0 : 1)));
    }
  });
});
