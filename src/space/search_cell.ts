/**
 * A search cell: two preprocessed inputs, `steps` intermediate nodes, one
 * {@linkcode MixedOp} per edge (2 + 3 + 4 + 5 = 14 for 4 nodes); each node sums
 * its incoming edges, weighted by the edge-normalization weights when given;
 * the output concatenates the last `multiplier` nodes.
 */
import * as tf from "../tf.ts";
import type { ForwardContext, ParameterStore } from "./parameters.ts";
import { concatChannels, weightedSum } from "../ops/layout.ts";
import { SharedEdgeInputs } from "./shared_edge_inputs.ts";
import { MixedOp, type PartialChannelOptions } from "./mixed_op.ts";
import { FactorizedReduce, type Operation, ReLUConvBN } from "./primitives.ts";

/** Shape of one search cell. */
export interface SearchCellShape {
  /** Intermediate nodes (4). */
  steps: number;
  /** Nodes concatenated into the output (4). */
  multiplier: number;
  /** Channels of the input two cells back. */
  channelsPrevPrev: number;
  /** Channels of the previous cell's output. */
  channelsPrev: number;
  /** Channels of each node. */
  channels: number;
  /** Whether this cell halves the resolution. */
  reduction: boolean;
  /** Whether the previous cell did. */
  reductionPrev: boolean;
}

/** Number of edges of a cell with `steps` nodes. */
export function edgeCount(steps: number): number {
  return (steps * (steps + 3)) / 2;
}

/** One cell of the search network. */
export class SearchCell {
  readonly shape: SearchCellShape;
  readonly #preprocess0: Operation;
  readonly #preprocess1: Operation;
  readonly #edges: MixedOp[] = [];
  readonly #sharedEdgeInputs: boolean;

  /**
   * Parameters are named `${prefix}preprocess0…`, `${prefix}_ops.<e>…`;
   * `sharedEdgeInputs`: a state's edges compute what they have alike once.
   */
  constructor(
    store: ParameterStore,
    prefix: string,
    shape: SearchCellShape,
    partial: PartialChannelOptions,
    sharedEdgeInputs = true,
  ) {
    this.shape = shape;
    this.#sharedEdgeInputs = sharedEdgeInputs;
    const { channelsPrevPrev, channelsPrev, channels } = shape;
    this.#preprocess0 = shape.reductionPrev
      ? new FactorizedReduce(
        store,
        `${prefix}preprocess0.`,
        channelsPrevPrev,
        channels,
        false,
      )
      : new ReLUConvBN(
        store,
        `${prefix}preprocess0.`,
        channelsPrevPrev,
        channels,
        1,
        1,
        0,
        false,
      );
    this.#preprocess1 = new ReLUConvBN(
      store,
      `${prefix}preprocess1.`,
      channelsPrev,
      channels,
      1,
      1,
      0,
      false,
    );
    let edge = 0;
    for (let node = 0; node < shape.steps; node++) {
      for (let input = 0; input < node + 2; input++) {
        const stride = shape.reduction && input < 2 ? 2 : 1;
        this.#edges.push(
          new MixedOp(
            store,
            `${prefix}_ops.${edge}.`,
            channels,
            stride,
            partial,
          ),
        );
        edge++;
      }
    }
  }

  /**
   * `opWeights`: softmaxed alphas `[edges, primitives]`; `edgeWeights`: the
   * per-node softmax of the betas `[edges]`, or null without edge normalization.
   */
  /**
   * The cell with one primitive per edge (`path[edge]`, a PRIMITIVES index;
   * -1 or 0 leaves the edge out): what {@linkcode SearchCell.forward} gives
   * with one-hot weights and no edge normalization, computing only the chosen
   * operations. K=1 only.
   */
  forwardPath(
    s0: tf.Tensor4D,
    s1: tf.Tensor4D,
    path: ArrayLike<number>,
    context: ForwardContext,
  ): tf.Tensor4D {
    const states = [
      this.#preprocess0.forward(s0, context),
      this.#preprocess1.forward(s1, context),
    ];
    let edge = 0;
    for (let node = 0; node < this.shape.steps; node++) {
      const terms: tf.Tensor4D[] = [];
      states.forEach((state, input) => {
        const op = path[edge + input];
        if (op > 0) {
          terms.push(this.#edges[edge + input].forwardOne(state, op, context));
        }
      });
      if (terms.length === 0) {
        throw new Error(`node ${node} of a path has no chosen edge`);
      }
      states.push(
        terms.length === 1 ? terms[0] : tf.addN(terms) as tf.Tensor4D,
      );
      edge += states.length - 1;
    }
    return concatChannels(states.slice(-this.shape.multiplier));
  }

  forward(
    s0: tf.Tensor4D,
    s1: tf.Tensor4D,
    opWeights: tf.Tensor2D,
    edgeWeights: tf.Tensor1D | null,
    context: ForwardContext,
  ): tf.Tensor4D {
    const states = [
      this.#preprocess0.forward(s0, context),
      this.#preprocess1.forward(s1, context),
    ];
    // Every edge reads its row of the alphas in place (no slices).
    const flat = tf.reshape(opWeights, [opWeights.size]) as tf.Tensor1D;
    const perEdge = opWeights.shape[1];
    // What the edges leaving each state compute alike, computed once.
    const shared = this.#sharedEdgeInputs
      ? states.map(() => new SharedEdgeInputs())
      : undefined;
    let edge = 0;
    for (let node = 0; node < this.shape.steps; node++) {
      const terms = states.map((state, input) =>
        this.#edges[edge + input].forward(
          state,
          flat,
          context,
          shared?.[input],
          (edge + input) * perEdge,
        )
      );
      // With edge normalization: Σ β_edge · edge output, as one op.
      states.push(
        edgeWeights
          ? weightedSum(
            terms,
            edgeWeights,
            terms.map((_, input) => edge + input),
          )
          : tf.addN(terms) as tf.Tensor4D,
      );
      shared?.push(new SharedEdgeInputs());
      edge += states.length - 1;
    }
    return concatChannels(states.slice(-this.shape.multiplier));
  }
}
