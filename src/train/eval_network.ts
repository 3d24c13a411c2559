/**
 * The evaluation network built from a genotype (the reference's
 * `model.NetworkCIFAR`, or with the ImageNet stem `model.NetworkImageNet`): a
 * stem (CIFAR's 3x3 convolution to 3C, or ImageNet's three stride-2 ones to C:
 * `stems.ts`), `layers`
 * cells (reduction cells at layers/3 and 2·layers/3 double C), each with two
 * operations per node as the genotype says; BatchNorm affine throughout; pooling
 * without BatchNorm; drop-path on every non-identity operation while training;
 * an auxiliary head on the output of cell 2·layers/3; global average pooling and
 * a linear classifier. Parameter names are the reference's.
 */
import { Classifier, stackCells } from "../space/cell_stack.ts";
import { CifarStem, ImageNetStem, type NetworkStem } from "../space/stems.ts";
import * as tf from "../tf.ts";
import { relu } from "../ops/activation.ts";
import { conv2d } from "../ops/conv2d.ts";
import { avgPool } from "../ops/pooling.ts";
import { concatChannels } from "../ops/layout.ts";
import { Random } from "../ops/random.ts";
import { recomputed, replayDrawsOf } from "../ops/recompute.ts";
import type { Genotype, GenotypeEdge } from "../space/genotype.ts";
import { BatchNormLayer } from "../space/batch_norm_layer.ts";
import { type ForwardContext, ParameterStore } from "../space/parameters.ts";
import {
  createPrimitive,
  FactorizedReduce,
  Identity,
  type Operation,
  ReLUConvBN,
} from "../space/primitives.ts";
import { dropPath } from "./drop_path.ts";

/** What defines an evaluation network. */
export interface EvalNetworkConfig {
  /** The cell. */
  genotype: Genotype;
  /** Initial channels (36 in the papers). */
  channels: number;
  /** Cells (20 in the papers). */
  layers: number;
  /** Classes. */
  numClasses: number;
  /** Build the auxiliary head (trained with weight 0.4). */
  auxiliary: boolean;
  /** Seed of the initial weights and the drop-path masks. */
  seed?: number;
  /** Input channels (3). */
  inputChannels?: number;
  /**
   * `"cifar"` (NetworkCIFAR: a 3x3 stem to 3C) or `"imagenet"`
   * (NetworkImageNet: three stride-2 convolutions to C, and ImageNet's
   * auxiliary head); default cifar.
   */
  stem?: "cifar" | "imagenet";
  /**
   * Recompute each cell's intermediates in the backward pass instead of
   * keeping them (training only): about a cell's intermediates at a time for
   * one more forward pass. The drop-path masks and batch statistics of the
   * replay are the first pass's.
   */
  recomputeCells?: boolean;
}

/** How a training forward pass runs. */
export interface EvalForwardContext extends ForwardContext {
  /** Drop-path probability of this epoch (training only). */
  dropPathProbability?: number;
}

class EvalCell {
  readonly #preprocess0: Operation;
  readonly #preprocess1: Operation;
  readonly #ops: Operation[];
  readonly #edges: GenotypeEdge[];
  readonly #concat: number[];

  constructor(
    store: ParameterStore,
    prefix: string,
    genotype: Genotype,
    channelsPrevPrev: number,
    channelsPrev: number,
    channels: number,
    readonly reduction: boolean,
    reductionPrev: boolean,
  ) {
    this.#preprocess0 = reductionPrev
      ? new FactorizedReduce(
        store,
        `${prefix}preprocess0.`,
        channelsPrevPrev,
        channels,
        true,
      )
      : new ReLUConvBN(
        store,
        `${prefix}preprocess0.`,
        channelsPrevPrev,
        channels,
        1,
        1,
        0,
        true,
      );
    this.#preprocess1 = new ReLUConvBN(
      store,
      `${prefix}preprocess1.`,
      channelsPrev,
      channels,
      1,
      1,
      0,
      true,
    );
    this.#edges = reduction ? genotype.reduce : genotype.normal;
    this.#concat = reduction ? genotype.reduce_concat : genotype.normal_concat;
    this.#ops = this.#edges.map(([name, input], i) =>
      createPrimitive(
        name,
        store,
        `${prefix}_ops.${i}.`,
        channels,
        reduction && input < 2 ? 2 : 1,
        {
          affine: true,
          poolBatchNorm: false,
        },
      )
    );
  }

  get outputMultiplier(): number {
    return this.#concat.length;
  }

  forward(
    s0: tf.Tensor4D,
    s1: tf.Tensor4D,
    context: EvalForwardContext,
    random: Random,
  ): tf.Tensor4D {
    const states = [
      this.#preprocess0.forward(s0, context),
      this.#preprocess1.forward(s1, context),
    ];
    const p = context.training ? context.dropPathProbability ?? 0 : 0;
    for (let i = 0; i < this.#edges.length; i += 2) {
      const terms = [i, i + 1].map((e) => {
        const op = this.#ops[e];
        const h = op.forward(states[this.#edges[e][1]], context);
        return op instanceof Identity ? h : dropPath(h, p, random);
      });
      states.push(tf.add(terms[0], terms[1]));
    }
    return concatChannels(this.#concat.map((c) => states[c]));
  }
}

/**
 * The auxiliary head: ReLU, a 5x5 average pool without padding, a 1x1
 * convolution to 128 with batch norm and ReLU, a 2x2 convolution to 768 and
 * ReLU, a linear layer. CIFAR's (8x8 input) pools with stride 3 and normalizes
 * after the 2x2 convolution; ImageNet's (7x7 input) pools with stride 2 and
 * does not (the reference leaves that batch norm out).
 */
class AuxiliaryHead {
  readonly #conv1: tf.Variable;
  readonly #bn1: BatchNormLayer;
  readonly #conv2: tf.Variable;
  readonly #bn2?: BatchNormLayer;
  readonly #classifier: { weight: tf.Variable; bias: tf.Variable };
  readonly #poolStride: number;

  constructor(
    store: ParameterStore,
    channels: number,
    numClasses: number,
    kind: "cifar" | "imagenet",
  ) {
    this.#poolStride = kind === "imagenet" ? 2 : 3;
    this.#conv1 = store.conv("auxiliary_head.features.2.weight", [
      1,
      1,
      channels,
      128,
    ]);
    this.#bn1 = new BatchNormLayer(
      store,
      "auxiliary_head.features.3",
      128,
      true,
    );
    this.#conv2 = store.conv("auxiliary_head.features.5.weight", [
      2,
      2,
      128,
      768,
    ]);
    if (kind === "cifar") {
      this.#bn2 = new BatchNormLayer(
        store,
        "auxiliary_head.features.6",
        768,
        true,
      );
    }
    this.#classifier = store.linear(
      "auxiliary_head.classifier",
      768,
      numClasses,
    );
  }

  forward(x: tf.Tensor4D, context: ForwardContext): tf.Tensor2D {
    let h = avgPool(relu(x), 5, this.#poolStride, 0);
    h = relu(
      this.#bn1.forward(conv2d(h, this.#conv1 as tf.Tensor4D), context),
    );
    h = conv2d(h, this.#conv2 as tf.Tensor4D);
    h = relu(this.#bn2 ? this.#bn2.forward(h, context) : h);
    const flat = tf.reshape(h, [h.shape[0], -1]) as tf.Tensor2D;
    return tf.add(
      tf.matMul(flat, this.#classifier.weight as tf.Tensor2D),
      this.#classifier.bias,
    );
  }
}

/** Logits and, in training with the auxiliary head, the auxiliary logits. */
export interface EvalOutput {
  /** Main logits. */
  logits: tf.Tensor2D;
  /** Auxiliary logits (training with an auxiliary head only). */
  auxiliary?: tf.Tensor2D;
}

/** The reference's NetworkCIFAR. */
export class EvalNetwork {
  readonly config: Required<EvalNetworkConfig>;
  /** Weights and BatchNorm buffers by reference name. */
  readonly weights: ParameterStore;
  /** The drop-path generator (saved in checkpoints). */
  readonly random: Random;
  readonly #stem: NetworkStem;
  readonly #cells: EvalCell[];
  /** Each cell's trainable variables, for recomputed cells' gradients. */
  readonly #cellVariables: tf.Variable[][];
  readonly #auxiliary?: AuxiliaryHead;
  readonly #auxiliaryAfter: number;
  readonly #classifier: Classifier;

  /** Builds the network. */
  constructor(config: EvalNetworkConfig) {
    this.config = {
      seed: 0,
      inputChannels: 3,
      stem: "cifar",
      recomputeCells: false,
      ...config,
    };
    const c = this.config;
    this.weights = new ParameterStore(c.seed);
    this.random = new Random(c.seed + 3);
    this.#stem = c.stem === "imagenet"
      ? new ImageNetStem(this.weights, c.inputChannels, c.channels)
      : new CifarStem(this.weights, c.inputChannels, 3 * c.channels);
    const stack = stackCells(
      c.layers,
      c.channels,
      this.#stem,
      (place) => {
        const cell = new EvalCell(
          this.weights,
          `cells.${place.index}.`,
          c.genotype,
          place.channelsPrevPrev,
          place.channelsPrev,
          place.channels,
          place.reduction,
          place.reductionPrev,
        );
        return { cell, outputChannels: cell.outputMultiplier * place.channels };
      },
    );
    this.#cells = stack.cells;
    this.#cellVariables = this.#cells.map((_, i) =>
      this.weights.trainable()
        .filter((p) => p.name.startsWith(`cells.${i}.`))
        .map((p) => p.variable)
    );
    // The auxiliary head reads the second reduction cell's output.
    this.#auxiliaryAfter = Math.floor((2 * c.layers) / 3);
    if (c.auxiliary) {
      this.#auxiliary = new AuxiliaryHead(
        this.weights,
        stack.outputChannels[this.#auxiliaryAfter],
        c.numClasses,
        c.stem,
      );
    }
    this.#classifier = new Classifier(
      this.weights,
      stack.outputChannels.at(-1)!,
      c.numClasses,
    );
  }

  /** Forward pass. */
  forward(images: tf.Tensor4D, context: EvalForwardContext): EvalOutput {
    let [s0, s1] = this.#stem.forward(images, context);
    let auxiliary: tf.Tensor2D | undefined;
    this.#cells.forEach((cell, i) => {
      // A cell's intermediates that no gradient needs are freed when it ends.
      const next = this.config.recomputeCells && context.training
        ? this.#recomputedCell(i, s0, s1, context)
        : tf.tidy(() => cell.forward(s0, s1, context, this.random));
      s0 = s1;
      s1 = next;
      if (i === this.#auxiliaryAfter && this.#auxiliary && context.training) {
        auxiliary = this.#auxiliary.forward(s1, context);
      }
    });
    return { logits: this.#classifier.forward(s1), auxiliary };
  }

  /** Cell `i` whose intermediates are recomputed in the backward pass. */
  #recomputedCell(
    i: number,
    s0: tf.Tensor4D,
    s1: tf.Tensor4D,
    context: EvalForwardContext,
  ): tf.Tensor4D {
    const cell = this.#cells[i];
    // The replay normalizes with its own batch's statistics (the same batch)
    // but records none, and draws the first pass's drop-path masks again.
    const replayContext: EvalForwardContext = {
      training: true,
      dropPathProbability: context.dropPathProbability,
    };
    let replay = false;
    const replayRandom = replayDrawsOf(this.random);
    const block = (xs: tf.Tensor[]) => {
      const ctx = replay ? replayContext : context;
      replay = true;
      return cell.forward(
        xs[0] as tf.Tensor4D,
        xs[1] as tf.Tensor4D,
        ctx,
        this.random,
      );
    };
    return recomputed(
      block,
      [s0, s1],
      this.#cellVariables[i],
      replayRandom,
    ) as tf.Tensor4D;
  }

  /** Trainable parameters excluding the auxiliary head, as the papers count. */
  countParameters(): number {
    return this.weights.countTrainable((name) => !name.includes("auxiliary"));
  }

  /** Trainable variables. */
  weightVariables(): tf.Variable[] {
    return this.weights.trainable().map((p) => p.variable);
  }

  /** Frees every variable. */
  dispose(): void {
    this.weights.dispose();
  }
}
