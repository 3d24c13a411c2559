/**
 * Random search with weight sharing (Li & Talwalkar, 2019), the baseline that
 * asks whether a search needs its architecture gradient at all. Each step
 * trains the shared weights of the supernet through one architecture drawn
 * uniformly at random: per cell kind and node, two distinct inputs among the
 * node's predecessors, each with an operation other than `none`. At the end of
 * each epoch it scores a fixed set of sampled architectures by their loss on a
 * held-out batch with the shared weights, and its cell is the best of them.
 *
 * A training step sets the architecture as one-hot architecture parameters:
 * the chosen operation on a chosen edge, `none` on every other edge, so that
 * the mixed operations sum exactly the sampled cell. Every operation is still
 * computed (with weight zero), so a step costs a DARTS weight step; the
 * unchosen operations get zero gradients, which SGD's momentum and weight
 * decay still see (the authors' code skips parameters without a gradient).
 * Scoring runs only each cell's own operations (`forwardPath`), which gives
 * the one-hot architecture's logits.
 * Defaults: first-order DARTS's protocol, with no architecture step.
 */
import * as tf from "../../tf.ts";
import { Random } from "../../ops/random.ts";
import { PRIMITIVES } from "../../space/primitives.ts";
import { crossEntropy, SearchNetwork } from "../../space/search_network.ts";
import {
  buildSearchNetwork,
  DARTS_DEFAULTS,
} from "../differentiable_method.ts";
import { registerSearchMethod } from "../method_registry.ts";
import { searchStep } from "../search_step.ts";

/** Architectures ranked at the end of each epoch (the same set every epoch). */
export const RANKED_ARCHITECTURES = 100;
/**
 * Held-out batches each ranked architecture is scored on: one, as the authors
 * score their sampled architectures on a single minibatch.
 */
export const RANKING_BATCHES = 1;

/** A softmax input far enough below 0 to weigh exactly 0 in float32. */
const OFF = -1e9;

/** A sampled cell: per edge, the chosen operation's index, or -1 (unused). */
export type SampledCell = Int32Array;

/** Both cell kinds of a sampled architecture. */
export interface SampledArchitecture {
  normal: SampledCell;
  reduce: SampledCell;
}

/** The stream of draws for one (seed, a, b): independent of any other step. */
function streamFor(seed: number, a: number, b: number): Random {
  const h = Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(a + 1, 0x85ebca6b) ^
    Math.imul(b + 1, 0xc2b2ae35);
  return new Random(h >>> 0);
}

/** One cell drawn uniformly: two distinct inputs per node, an op each. */
function sampleCell(random: Random, steps: number): SampledCell {
  const edges = (steps * (steps + 3)) / 2;
  const cell = new Int32Array(edges).fill(-1);
  const ops = PRIMITIVES.length - 1; // every primitive but none (index 0)
  let start = 0;
  for (let node = 0; node < steps; node++) {
    const inputs = node + 2;
    const first = Math.floor(random.uniform() * inputs);
    let second = Math.floor(random.uniform() * (inputs - 1));
    if (second >= first) second++;
    for (const j of [first, second]) {
      cell[start + j] = 1 + Math.floor(random.uniform() * ops);
    }
    start += inputs;
  }
  return cell;
}

/** An architecture drawn from `random` for a network of `steps` nodes. */
export function sampleArchitecture(
  random: Random,
  steps: number,
): SampledArchitecture {
  return {
    normal: sampleCell(random, steps),
    reduce: sampleCell(random, steps),
  };
}

/** The one-hot alphas of a sampled cell, `[edges, primitives]` row-major. */
export function oneHotAlphas(cell: SampledCell): Float32Array {
  const n = PRIMITIVES.length;
  const values = new Float32Array(cell.length * n).fill(OFF);
  cell.forEach((op, e) => values[e * n + (op < 0 ? 0 : op)] = 0);
  return values;
}

/** Sets the network's architecture parameters to a sampled architecture. */
export function setArchitecture(
  network: SearchNetwork,
  arch: SampledArchitecture,
): void {
  const { alphasNormal, alphasReduce } = network.architecture;
  const n = PRIMITIVES.length;
  tf.tidy(() => {
    alphasNormal.assign(
      tf.tensor2d(oneHotAlphas(arch.normal), [arch.normal.length, n]),
    );
    alphasReduce.assign(
      tf.tensor2d(oneHotAlphas(arch.reduce), [arch.reduce.length, n]),
    );
  });
}

registerSearchMethod({
  name: "random_ws",
  summary:
    "random search with weight sharing: uniform cells train the supernet, the best of 100 by held-out loss",
  defaults: { ...DARTS_DEFAULTS },
  buildSpace(config, data) {
    if (config.edgeNormalization) {
      throw new Error(
        "random_ws samples cells, which edge normalization would reweigh; use --edge-normalization false",
      );
    }
    return buildSearchNetwork(config, data);
  },
  step({ step, batches, where, keepLogits, at }) {
    const random = streamFor(at.seed, at.epoch, at.step);
    setArchitecture(
      step.network,
      sampleArchitecture(random, step.network.config.steps),
    );
    return searchStep(
      { ...step, secondOrder: false },
      { architecture: null, weights: batches.weights },
      where,
      keepLogits,
    );
  },
  async deriveGenotype(network, context) {
    const random = streamFor(context.seed, -1, -1);
    const candidates = Array.from(
      { length: RANKED_ARCHITECTURES },
      () => sampleArchitecture(random, network.config.steps),
    );
    const batches = await context.validationBatches(RANKING_BATCHES);
    let best = candidates[0];
    try {
      if (batches.length > 0) {
        let bestLoss = Infinity;
        for (const arch of candidates) {
          let sum = 0;
          for (const batch of batches) {
            // Only the cell's own operations: the same logits as the one-hot
            // architecture, at a fraction of the cost.
            const loss = tf.tidy(() =>
              crossEntropy(
                network.forwardPath(batch.images, arch, { training: false }),
                batch.labels,
              )
            );
            sum += (await loss.data())[0];
            loss.dispose();
          }
          // Ties keep the earlier draw.
          if (sum < bestLoss) {
            bestLoss = sum;
            best = arch;
          }
        }
      }
    } finally {
      tf.dispose(batches.flatMap((b) => [b.images, b.labels]));
    }
    setArchitecture(network, best);
    return network.genotype();
  },
});
