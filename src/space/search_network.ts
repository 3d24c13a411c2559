/**
 * The search network of PC-DARTS (and, with K=1 and no edge normalization,
 * DARTS): a stem to `stemMultiplier * C` channels (CIFAR's 3x3 convolution or
 * ImageNet's three stride-2 ones: `stems.ts`), `layers`
 * search cells (reduction cells at layers/3 and 2*layers/3 double the
 * channels), global average pooling and a linear classifier. The architecture
 * parameters are alphas `[14, 8]` per cell kind and, with edge normalization,
 * betas `[14]` per cell kind.
 */
import type {
  Scalar,
  Tensor1D,
  Tensor2D,
  Tensor4D,
  Variable,
} from "../tensor_types.ts";
import * as tf from "../tf.ts";
import {
  type CellRecomputation,
  recomputed,
  recomputesCell,
  replayDrawsOf,
} from "../ops/recompute.ts";
import { Random } from "../ops/random.ts";
import { deriveGenotype, type Genotype } from "./genotype.ts";
import { Classifier, stackCells } from "./cell_stack.ts";
import { CifarStem, ImageNetStem, type NetworkStem } from "./stems.ts";
import { type ForwardContext, ParameterStore } from "./parameters.ts";
import { checkPartialChannels } from "./partial_channels_check.ts";
import { PRIMITIVES } from "./primitives.ts";
import { edgeCount, SearchCell } from "./search_cell.ts";

/** Everything that defines a search network. */
export interface SearchNetworkConfig {
  /** Initial channels C (16 in the paper). */
  channels: number;
  /** Number of cells (8 in the paper). */
  layers: number;
  /** Number of classes. */
  numClasses: number;
  /** K of partial channel connections (4 for PC-DARTS on CIFAR-10, 1 = DARTS). */
  partialChannels: number;
  /** Edge normalization (betas) on or off. */
  edgeNormalization: boolean;
  /** `"first"` (reference code) or `"random"` (paper) channel selection. */
  channelSampling?: "first" | "random";
  /** Seed of the initial weights, alphas and channel sampling. */
  seed?: number;
  /** Intermediate nodes per cell (4). */
  steps?: number;
  /** Nodes concatenated into a cell's output (4). */
  multiplier?: number;
  /** Stem channels = stemMultiplier * C (3). */
  stemMultiplier?: number;
  /**
   * `"cifar"` (one 3x3 convolution) or `"imagenet"` (three stride-2
   * convolutions, the first cell reducing its s0): see `stems.ts`.
   */
  stem?: "cifar" | "imagenet";
  /** Input channels (3 for RGB). */
  inputChannels?: number;
  /**
   * Recompute cells' intermediates in the backward pass instead of keeping
   * them (less memory, one more forward pass of those cells per gradient):
   * every cell, the first N, or none (`CellRecomputation`); default false.
   */
  recomputeCells?: CellRecomputation;
  /**
   * A state's edges compute what they have alike (their input's processed
   * channels, its ReLU, the poolings) once, not each (the same numbers, less
   * work; see `shared_edge_inputs.ts`); default true.
   */
  sharedEdgeInputs?: boolean;
}

/** The architecture parameters. */
export interface ArchitectureParameters {
  /** `[edges, primitives]` for normal cells. */
  alphasNormal: Variable;
  /** `[edges, primitives]` for reduction cells. */
  alphasReduce: Variable;
  /** `[edges]` for normal cells (edge normalization only). */
  betasNormal?: Variable;
  /** `[edges]` for reduction cells (edge normalization only). */
  betasReduce?: Variable;
}

/** Per-node softmax of betas as one differentiable tensor. */
export function edgeNormalization(
  betas: Tensor1D,
  steps: number,
): Tensor1D {
  const parts: tf.Tensor1D[] = [];
  let start = 0;
  for (let node = 0; node < steps; node++) {
    parts.push(tf.softmax(tf.slice(betas, [start], [node + 2])));
    start += node + 2;
  }
  return tf.concat(parts) as tf.Tensor1D;
}

/**
 * The PC-DARTS / DARTS search network: stem, cells of mixed operations on
 * every edge, global pooling and a classifier; weights and architecture
 * parameters live in separate stores.
 *
 * @example Logits of a batch and the genotype the architecture implies
 * ```ts
 * import { crossEntropy, initBackend, SearchNetwork } from "./mod.ts";
 * import * as tf from "./src/tf.ts";
 * await initBackend("auto");
 * const net = new SearchNetwork({
 *   channels: 8, layers: 5, numClasses: 10,
 *   partialChannels: 4, edgeNormalization: true,
 * });
 * const images = tf.randomNormal([2, 32, 32, 3]) as tf.Tensor4D;
 * const loss = crossEntropy(
 *   net.forward(images, { training: true }),
 *   tf.tensor1d([3, 7], "int32"),
 * );
 * console.log(await loss.data(), await net.genotype());
 * ```
 */
export class SearchNetwork {
  /** The resolved configuration. */
  readonly config: Required<SearchNetworkConfig>;
  /** Network weights and BatchNorm buffers, by reference name. */
  readonly weights: ParameterStore;
  /** Architecture parameters, named `alphas_normal`, `betas_normal`, …. */
  readonly architectureStore: ParameterStore;
  /** The architecture parameters. */
  readonly architecture: ArchitectureParameters;
  /** Generator for random channel sampling (saved in checkpoints). */
  readonly random: Random;
  readonly #stem: NetworkStem;
  readonly #cells: SearchCell[];
  readonly #cellVariables: tf.Variable[][] = [];
  readonly #classifier: Classifier;

  /** Builds the network; throws a clear error for channels not divisible by K. */
  constructor(config: SearchNetworkConfig) {
    this.config = {
      channelSampling: "first",
      seed: 0,
      steps: 4,
      multiplier: 4,
      stemMultiplier: 3,
      stem: "cifar",
      inputChannels: 3,
      recomputeCells: false,
      sharedEdgeInputs: true,
      ...config,
    };
    const c = this.config;
    if (!Number.isInteger(c.layers) || c.layers < 1) {
      throw new Error(`layers must be a positive integer, got ${c.layers}`);
    }
    checkPartialChannels(c);
    this.weights = new ParameterStore(c.seed);
    this.architectureStore = new ParameterStore(c.seed + 1);
    this.random = new Random(c.seed + 2);
    this.#stem = new (c.stem === "imagenet" ? ImageNetStem : CifarStem)(
      this.weights,
      c.inputChannels,
      c.stemMultiplier * c.channels,
    );
    const stack = stackCells(
      c.layers,
      c.channels,
      this.#stem,
      (place) => {
        const cell = new SearchCell(this.weights, `cells.${place.index}.`, {
          steps: c.steps,
          multiplier: c.multiplier,
          ...place,
        }, {
          partialChannels: c.partialChannels,
          channelSampling: c.channelSampling,
          random: this.random,
        }, c.sharedEdgeInputs);
        this.#cellVariables.push(
          this.weights.trainable()
            .filter((p) => p.name.startsWith(`cells.${place.index}.`))
            .map((p) => p.variable),
        );
        return { cell, outputChannels: c.multiplier * place.channels };
      },
    );
    this.#cells = stack.cells;
    this.#classifier = new Classifier(
      this.weights,
      stack.outputChannels.at(-1)!,
      c.numClasses,
    );
    const edges = edgeCount(c.steps);
    const a = this.architectureStore;
    this.architecture = {
      alphasNormal: a.normal("alphas_normal", [edges, PRIMITIVES.length], 1e-3),
      alphasReduce: a.normal("alphas_reduce", [edges, PRIMITIVES.length], 1e-3),
    };
    if (c.edgeNormalization) {
      this.architecture.betasNormal = a.normal("betas_normal", [edges], 1e-3);
      this.architecture.betasReduce = a.normal("betas_reduce", [edges], 1e-3);
    }
  }

  /**
   * Logits `[N, classes]` of NHWC images through one discrete cell per kind:
   * `path.normal[edge]` and `path.reduce[edge]` name each edge's primitive
   * (a PRIMITIVES index; -1 or 0 leaves the edge out). The same numbers as
   * {@linkcode SearchNetwork.forward} with one-hot alphas, computing only the
   * chosen operations; K=1, no edge normalization, no recomputation.
   */
  forwardPath(
    images: Tensor4D,
    path: { normal: ArrayLike<number>; reduce: ArrayLike<number> },
    context: ForwardContext,
  ): Tensor2D {
    if (this.config.edgeNormalization) {
      throw new Error("a path forward runs without edge normalization");
    }
    let [s0, s1] = this.#stem.forward(images, context);
    for (const cell of this.#cells) {
      const cellPath = cell.shape.reduction ? path.reduce : path.normal;
      const next = tf.tidy(() => cell.forwardPath(s0, s1, cellPath, context));
      s0 = s1;
      s1 = next;
    }
    return this.#classifier.forward(s1);
  }

  /** Logits `[N, classes]` of NHWC images. */
  forward(images: Tensor4D, context: ForwardContext): Tensor2D {
    const c = this.config;
    const arch = this.architecture;
    const weightsNormal = tf.softmax(arch.alphasNormal) as tf.Tensor2D;
    const weightsReduce = tf.softmax(arch.alphasReduce) as tf.Tensor2D;
    const edgeNormal = arch.betasNormal
      ? edgeNormalization(arch.betasNormal as tf.Tensor1D, c.steps)
      : null;
    const edgeReduce = arch.betasReduce
      ? edgeNormalization(arch.betasReduce as tf.Tensor1D, c.steps)
      : null;
    let [s0, s1] = this.#stem.forward(images, context);
    this.#cells.forEach((cell, i) => {
      const reduction = cell.shape.reduction;
      const weights = reduction ? weightsReduce : weightsNormal;
      const edge = reduction ? edgeReduce : edgeNormal;
      // A cell's intermediates that no gradient needs are freed when it
      // ends (those that one needs are saved: tfjs keeps a copy).
      const next = recomputesCell(c.recomputeCells, i) && context.training
        ? this.#recomputedCell(i, s0, s1, weights, edge, context)
        : tf.tidy(() => cell.forward(s0, s1, weights, edge, context));
      s0 = s1;
      s1 = next;
    });
    return this.#classifier.forward(s1);
  }

  /** Cell `i` whose intermediates are recomputed in the backward pass. */
  #recomputedCell(
    i: number,
    s0: tf.Tensor4D,
    s1: tf.Tensor4D,
    weights: tf.Tensor2D,
    edge: tf.Tensor1D | null,
    context: ForwardContext,
  ): tf.Tensor4D {
    const cell = this.#cells[i];
    // Batch statistics come from the first run only; a replay of random channel
    // sampling draws the same channels again.
    let replay = false;
    const replayRandom = replayDrawsOf(this.random);
    const block = (xs: tf.Tensor[]) => {
      const ctx = replay ? { training: true } : context;
      replay = true;
      return cell.forward(
        xs[0] as tf.Tensor4D,
        xs[1] as tf.Tensor4D,
        xs[2] as tf.Tensor2D,
        edge ? xs[3] as tf.Tensor1D : null,
        ctx,
      );
    };
    return recomputed(
      block,
      edge ? [s0, s1, weights, edge] : [s0, s1, weights],
      this.#cellVariables[i],
      replayRandom,
    ) as tf.Tensor4D;
  }

  /** The weights the weight optimizer trains. */
  weightVariables(): Variable[] {
    return this.weights.trainable().map((p) => p.variable);
  }

  /** The parameters the architecture optimizer trains. */
  architectureVariables(): Variable[] {
    return this.architectureStore.trainable().map((p) => p.variable);
  }

  /** The genotype the current architecture parameters give. */
  async genotype(): Promise<Genotype> {
    const arch = this.architecture;
    const read = async (v?: tf.Variable) => (v ? await v.data() : null);
    return deriveGenotype(
      {
        alphasNormal: (await read(arch.alphasNormal))!,
        alphasReduce: (await read(arch.alphasReduce))!,
        betasNormal: await read(arch.betasNormal),
        betasReduce: await read(arch.betasReduce),
      },
      this.config.steps,
      this.config.multiplier,
    );
  }

  /** Frees every variable. */
  dispose(): void {
    this.weights.dispose();
    this.architectureStore.dispose();
  }
}

/**
 * Mean cross-entropy of logits against integer labels.
 *
 * @example
 * ```ts
 * import { crossEntropy } from "./mod.ts";
 * import * as tf from "./src/tf.ts";
 * const loss = crossEntropy(tf.tensor2d([[2, 0], [0, 2]]), tf.tensor1d([0, 1], "int32"));
 * console.log(await loss.data()); // ≈ 0.127, the same for both rows
 * ```
 */
export function crossEntropy(
  logits: Tensor2D,
  labels: Tensor1D,
): Scalar {
  const [n, classes] = logits.shape;
  const logProbabilities = tf.logSoftmax(logits);
  const targets = tf.oneHot(tf.cast(labels, "int32"), classes);
  return tf.div(
    tf.neg(tf.sum(tf.mul(targets, logProbabilities))),
    n,
  ) as tf.Scalar;
}
