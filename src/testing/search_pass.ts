/**
 * One training-mode pass of a search network on a fixed small batch, for tests
 * that compare two ways of computing the same thing.
 */
import type { CellRecomputation } from "../ops/recompute.ts";
import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { profileKernels } from "../run/kernel_profile.ts";
import { withExecutionOptions } from "../ops/execution_options.ts";
import type { BatchStatistics } from "../space/parameters.ts";
import { crossEntropy, SearchNetwork } from "../space/search_network.ts";

/** What {@linkcode profiledSearchPass} measured. */
export interface SearchPassOutcome {
  /** The loss, then the gradient of every weight, alpha and beta. */
  values: Float32Array[];
  /** The tfjs kernels the pass ran, by name, in order. */
  kernelNames: string[];
  /** tfjs' peak live tensor bytes during the pass. */
  peakBytes: number;
}

/**
 * Loss and every gradient of one training-mode pass of `network` on three
 * seeded 8x8 images, profiled by tfjs; the batch statistics are folded into
 * the network's running statistics. Leaves no tensor behind.
 */
export async function profiledSearchPass(
  network: SearchNetwork,
): Promise<SearchPassOutcome> {
  const images = tf.randomNormal([3, 8, 8, 3], 0, 1, "float32", 2);
  const labels = tf.tensor1d([1, 7, 4], "int32");
  const variables = [
    ...network.weightVariables(),
    ...network.architectureVariables(),
  ];
  const statistics: BatchStatistics[] = [];
  let result: { value: tf.Scalar; grads: Record<string, tf.Tensor> };
  const profile = await profileKernels(() => {
    result = tf.variableGrads(
      () =>
        crossEntropy(
          network.forward(images as tf.Tensor4D, {
            training: true,
            batchStatistics: statistics,
          }),
          labels,
        ),
      variables,
    );
    return [];
  });
  const { value, grads } = result!;
  network.weights.updateRunningStatistics(statistics);
  const values = [await value.data() as Float32Array];
  for (const v of variables) {
    values.push(await grads[v.name].data() as Float32Array);
  }
  tf.dispose([value, ...Object.values(grads), images, labels]);
  return {
    values,
    kernelNames: profile.kernels.map((k) => k.name),
    peakBytes: profile.peakBytes,
  };
}

/** How {@linkcode smallSearchPass} runs. */
export interface SmallSearchPassOptions {
  /** Recomputed cells (default false). */
  recomputeCells?: CellRecomputation;
  /** Grouped gradient sums (default on). */
  groupedSums?: boolean;
  /** The backward pass's early release (default on). */
  backwardRelease?: boolean;
}

/**
 * {@linkcode profiledSearchPass} of a fresh seeded search network (C=8, 3
 * layers, K=2, edge normalization) with the tape passes set as asked.
 */
export async function smallSearchPass(
  options: SmallSearchPassOptions = {},
): Promise<SearchPassOutcome> {
  return await withExecutionOptions({
    groupedGradientSums: options.groupedSums ?? true,
    backwardRelease: options.backwardRelease ?? true,
  }, async () => {
    const network = new SearchNetwork({
      channels: 8,
      layers: 3,
      numClasses: 10,
      partialChannels: 2,
      edgeNormalization: true,
      recomputeCells: options.recomputeCells ?? false,
      seed: 5,
    });
    const outcome = await profiledSearchPass(network);
    network.dispose();
    return outcome;
  });
}

/** Asserts that two passes gave the same loss and gradients, bit for bit. */
export function assertSameBits(
  actual: SearchPassOutcome,
  expected: SearchPassOutcome,
  label: string,
): void {
  assert.equal(actual.values.length, expected.values.length, label);
  actual.values.forEach((values, i) =>
    assert.deepEqual(values, expected.values[i], `${label}: tensor ${i}`)
  );
}
