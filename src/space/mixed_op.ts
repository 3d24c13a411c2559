/**
 * The mixed operation on one edge of a search cell, with PC-DARTS' partial
 * channel connections: only 1/K of the channels pass through the eight
 * candidate operations (weighted by the edge's softmaxed alphas); the rest
 * bypass them (max-pooled 2x2 at stride 2). K=1 is DARTS' MixedOp.
 *
 * Channel selection, `channelSampling`:
 * - `"first"` (the reference code): the first C/K channels are processed, the
 *   result is concatenated before the bypassed channels and channel-shuffled
 *   (view as [K, C/K] groups, transpose);
 * - `"random"` (the paper's description): a seeded random subset of C/K channels
 *   is drawn at every forward pass; the processed values replace those channels
 *   in place and the bypassed channels keep theirs (no shuffle).
 */
import type { Tensor1D, Tensor4D } from "../tensor_types.ts";
import * as tf from "../tf.ts";
import { relu } from "../ops/activation.ts";
import { maxPool } from "../ops/pooling.ts";
import { slice4d, weightedSum } from "../ops/layout.ts";
import { weightedPartialChannelOutput } from "../ops/partial_channel_output.ts";
import type { Random } from "../ops/random.ts";
import type { ForwardContext, ParameterStore } from "./parameters.ts";
import {
  createPrimitive,
  type Operation,
  Pool,
  PRIMITIVES,
} from "./primitives.ts";
import type { SharedEdgeInputs } from "./shared_edge_inputs.ts";

/** How partial channel connections are applied. */
export interface PartialChannelOptions {
  /** K: 1/K of the channels are processed (1 = DARTS). */
  partialChannels: number;
  /** Which channels are processed (see the module docs). */
  channelSampling: "first" | "random";
  /** The generator for `"random"` sampling. */
  random?: Random;
}

/** One search edge: weighted sum of the eight primitives on 1/K of the channels. */
export class MixedOp {
  readonly #operations: { index: number; operation: Operation }[] = [];
  readonly #channels: number;
  readonly #stride: number;
  readonly #options: PartialChannelOptions;
  readonly #prefix: string;

  /** Parameters are named `${prefix}_ops.<i>.…` as in the reference. */
  constructor(
    store: ParameterStore,
    prefix: string,
    channels: number,
    stride: number,
    options: PartialChannelOptions,
  ) {
    const k = options.partialChannels;
    if (!Number.isInteger(k) || k < 1 || channels % k !== 0) {
      throw new Error(
        `partial channels: ${channels} channels are not divisible by K=${k}; choose C and K so that every cell's channel count is a multiple of K`,
      );
    }
    if (options.channelSampling === "random" && !options.random) {
      throw new Error("random channel sampling needs a seeded generator");
    }
    this.#channels = channels;
    this.#stride = stride;
    this.#options = options;
    this.#prefix = prefix;
    PRIMITIVES.forEach((name, index) => {
      if (name === "none") return; // contributes w * 0: nothing to compute
      this.#operations.push({
        index,
        operation: createPrimitive(
          name,
          store,
          `${prefix}_ops.${index}.`,
          channels / k,
          stride,
          { affine: false, poolBatchNorm: true },
        ),
      });
    });
  }

  /**
   * The output of primitive `index` alone (K=1): what the weighted sum gives
   * when the edge's weights are one-hot on it, computing nothing else.
   */
  forwardOne(x: Tensor4D, index: number, context: ForwardContext): Tensor4D {
    if (this.#options.partialChannels !== 1) {
      throw new Error(
        `one operation per edge runs with K=1, not K=${this.#options.partialChannels}`,
      );
    }
    const chosen = this.#operations.find((o) => o.index === index);
    if (chosen === undefined) {
      throw new Error(`edge ${this.#prefix}: no primitive ${index} to run`);
    }
    const { operation } = chosen;
    return operation.forwardActivated
      ? operation.forwardActivated(relu(x), context)
      : operation.forward(x, context);
  }

  /**
   * `weights`: the softmaxed alphas, this edge's one per primitive from
   * `weightOffset` on (a cell passes all its edges' rows as one vector, so
   * that no row is sliced out). `shared`: what the edges leaving the same
   * state compute alike (see {@linkcode SharedEdgeInputs}); used with the
   * first-channels selection only, since random selection draws other
   * channels for every edge.
   */
  forward(
    x: Tensor4D,
    weights: Tensor1D,
    context: ForwardContext,
    shared?: SharedEdgeInputs,
    weightOffset = 0,
  ): Tensor4D {
    const k = this.#options.partialChannels;
    const [n, h, w] = x.shape;
    const part = this.#channels / k;
    const indices = this.#operations.map((o) => weightOffset + o.index);
    const share = (key: string, compute: () => tf.Tensor4D) =>
      shared && this.#options.channelSampling === "first"
        ? shared.reuse(`${this.#stride}/${key}`, this.#prefix, context, compute)
        : compute();
    const termsOf = (input: tf.Tensor4D) => {
      // The convolutions (and FactorizedReduce) all begin with relu(input):
      // computed once here, where the reference computes it per operation.
      let activated: tf.Tensor4D | undefined;
      return this.#operations.map(({ index, operation }) => {
        if (!operation.forwardActivated) {
          // Poolings (with their BatchNorm) have no weights.
          return operation instanceof Pool
            ? share(`pool${index}`, () => operation.forward(input, context))
            : operation.forward(input, context);
        }
        activated ??= share("activated", () => relu(input));
        return operation.forwardActivated(activated, context);
      });
    };
    const mix = (input: tf.Tensor4D) =>
      weightedSum(termsOf(input), weights, indices);
    if (k === 1) return mix(x);
    const bypass = (rest: tf.Tensor4D) =>
      this.#stride === 1 ? rest : maxPool(rest, 2, 2, 0);
    if (this.#options.channelSampling === "first") {
      const terms = termsOf(
        share("processed", () => slice4d(x, [0, 0, 0, 0], [n, h, w, part])),
      );
      // The bypassed channels (max-pooled at stride 2).
      const bypassed = () =>
        share("bypass", () =>
          bypass(
            slice4d(x, [0, 0, 0, part], [n, h, w, this.#channels - part]),
          ));
      return weightedPartialChannelOutput(
        terms,
        weights,
        indices,
        x,
        k,
        this.#stride,
        bypassed,
      );
    }
    const order = Array.from({ length: this.#channels }, (_, i) => i);
    this.#options.random!.shuffle(order);
    const inverse = new Int32Array(this.#channels);
    order.forEach((channel, position) => (inverse[channel] = position));
    const processed = mix(tf.gather(x, order.slice(0, part), 3));
    const rest = tf.gather(x, order.slice(part), 3);
    return tf.gather(tf.concat([processed, bypass(rest)], 3), inverse, 3);
  }
}
