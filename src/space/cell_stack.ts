/**
 * What the search network and the evaluation network share besides their
 * stem (`stems.ts`): the stack of cells with its reductions at a third and two
 * thirds of the depth, and the classifier over globally pooled features.
 * Weight names follow the reference (`cells.<i>.*`, `classifier.*`), which the
 * fixtures and checkpoints rely on.
 */
import * as tf from "../tf.ts";
import type { ParameterStore } from "./parameters.ts";
import type { NetworkStem } from "./stems.ts";

/** Where a cell sits in the stack and the channels it sees. */
export interface CellPlace {
  /** Its index (0-based); its weights are named `cells.<index>.`. */
  index: number;
  /** Whether it halves the resolution and doubles the channels. */
  reduction: boolean;
  /** Whether the cell before it reduced (its s0 needs reducing too). */
  reductionPrev: boolean;
  /** Channels of its first input (two cells back). */
  channelsPrevPrev: number;
  /** Channels of its second input (the cell before). */
  channelsPrev: number;
  /** Its channels per node. */
  channels: number;
}

/** Whether cell `index` of `layers` is a reduction cell (at 1/3 and 2/3). */
export function isReduction(index: number, layers: number): boolean {
  return index === Math.floor(layers / 3) ||
    index === Math.floor((2 * layers) / 3);
}

/**
 * Builds `layers` cells on `stem` in order: `make` gets each cell's place and
 * returns the cell with the channels it outputs (its node count times its
 * channels). Returns the cells and each one's output channels.
 */
export function stackCells<Cell>(
  layers: number,
  channels: number,
  stem: Pick<NetworkStem, "channels" | "reducesSecond">,
  make: (place: CellPlace) => { cell: Cell; outputChannels: number },
): { cells: Cell[]; outputChannels: number[] } {
  const cells: Cell[] = [];
  const outputChannels: number[] = [];
  let [channelsPrevPrev, channelsPrev] = stem.channels;
  let reductionPrev = stem.reducesSecond;
  for (let index = 0; index < layers; index++) {
    const reduction = isReduction(index, layers);
    if (reduction) channels *= 2;
    const made = make({
      index,
      reduction,
      reductionPrev,
      channelsPrevPrev,
      channelsPrev,
      channels,
    });
    cells.push(made.cell);
    outputChannels.push(made.outputChannels);
    reductionPrev = reduction;
    channelsPrevPrev = channelsPrev;
    channelsPrev = made.outputChannels;
  }
  return { cells, outputChannels };
}

/** The classifier: global average pooling, then a linear layer. */
export class Classifier {
  readonly #linear: { weight: tf.Variable; bias: tf.Variable };

  /** Adds `classifier.weight` and `classifier.bias` to `store`. */
  constructor(store: ParameterStore, channels: number, classes: number) {
    this.#linear = store.linear("classifier", channels, classes);
  }

  /** Logits `[N, classes]` of the last cell's features. */
  forward(features: tf.Tensor4D): tf.Tensor2D {
    const pooled = tf.mean(features, [1, 2]) as tf.Tensor2D;
    return tf.add(
      tf.matMul(pooled, this.#linear.weight as tf.Tensor2D),
      this.#linear.bias,
    ) as tf.Tensor2D;
  }
}
