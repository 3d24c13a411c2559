/**
 * Named parameters and buffers of a network. Names are the reference PyTorch
 * state-dict names (`cells.0._ops.3._ops.4.op.1.weight`), so that weights move
 * between the two by name; layouts are tfjs' own (NHWC convolution filters
 * `[kh, kw, in, out]`, depthwise `[kh, kw, C, 1]`, linear `[in, out]`), and each
 * parameter remembers how its PyTorch layout maps onto ours.
 */
import type { Tensor1D, Variable } from "../tensor_types.ts";
import * as tf from "../tf.ts";
import { Random } from "../ops/random.ts";
import { runningAverages } from "../ops/running_average.ts";

/** How a PyTorch tensor's layout maps onto ours. */
export type Layout = "conv" | "depthwise" | "linear" | "vector";

/** One registered parameter or buffer. */
export interface Parameter {
  /** The PyTorch state-dict name. */
  name: string;
  /** The tfjs variable holding it. */
  variable: Variable;
  /** Layout conversion from PyTorch. */
  layout: Layout;
  /** Whether the optimizer trains it (false for BatchNorm running statistics). */
  trainable: boolean;
}

/** The statistics of one training-mode BatchNorm call, for running averages. */
export interface BatchStatistics {
  /** Prefix of the BatchNorm's buffers. */
  name: string;
  /** `[2C]`: the batch mean of each channel, then its biased variance. */
  statistics: Tensor1D;
  /** Elements per channel (N*H*W), for the unbiased correction. */
  count: number;
}

/**
 * Last part of the name of a BatchNorm's running statistics: one `[2C]`
 * buffer holding PyTorch's `running_mean` (first half) and `running_var`
 * (second half), so that one update covers both.
 */
export const RUNNING_STATISTICS = "running_statistics";

/** PyTorch's names of the two halves of {@linkcode RUNNING_STATISTICS}. */
const RUNNING_STATISTICS_HALVES = ["running_mean", "running_var"];

/**
 * For PyTorch's `<bn>.running_mean` or `<bn>.running_var`: our buffer's name
 * (`<bn>.running_statistics`) and which half (0 mean, 1 variance); else null.
 */
export function runningStatisticsHalf(
  torchName: string,
): { name: string; half: number } | null {
  const dot = torchName.lastIndexOf(".");
  const half = RUNNING_STATISTICS_HALVES.indexOf(torchName.slice(dot + 1));
  if (half < 0) return null;
  return { name: `${torchName.slice(0, dot + 1)}${RUNNING_STATISTICS}`, half };
}

/**
 * The inverse of {@linkcode runningStatisticsHalf}: for our
 * `<bn>.running_statistics`, PyTorch's `[<bn>.running_mean, <bn>.running_var]`
 * (any prefix before `<bn>` kept); else null.
 */
export function torchRunningStatisticsNames(name: string): string[] | null {
  if (!name.endsWith(`.${RUNNING_STATISTICS}`)) return null;
  const stem = name.slice(0, -RUNNING_STATISTICS.length);
  return RUNNING_STATISTICS_HALVES.map((half) => `${stem}${half}`);
}

/** How a forward pass runs. */
export interface ForwardContext {
  /** Training mode: BatchNorm uses batch statistics. */
  training: boolean;
  /** Where training-mode BatchNorm puts its statistics; dropped when absent. */
  batchStatistics?: BatchStatistics[];
}

/** Converts a PyTorch-layout array to our layout. */
export function fromTorchLayout(
  layout: Layout,
  shape: number[],
  data: Float32Array,
): tf.Tensor {
  return tf.tidy(() => {
    const t = tf.tensor(data, shape);
    switch (layout) {
      case "conv":
        return tf.transpose(t, [2, 3, 1, 0]);
      case "depthwise":
        return tf.transpose(t, [2, 3, 0, 1]);
      case "linear":
        return tf.transpose(t, [1, 0]);
      case "vector":
        return t;
    }
  });
}

/** Converts one of our tensors to PyTorch's layout. */
export function toTorchLayout(layout: Layout, t: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    switch (layout) {
      case "conv":
        return tf.transpose(t, [3, 2, 0, 1]);
      case "depthwise":
        return tf.transpose(t, [2, 3, 0, 1]);
      case "linear":
        return tf.transpose(t, [1, 0]);
      case "vector":
        return tf.clone(t);
    }
  });
}

let storeCount = 0;

/** Creates, names and initialises the parameters of a network (seeded). */
export class ParameterStore {
  /** Every parameter and buffer, by name, in creation order. */
  readonly entries = new Map<string, Parameter>();
  readonly #random: Random;
  readonly #id = `store${++storeCount}`;

  /** `seed` fixes the initial values. */
  constructor(seed = 0) {
    this.#random = new Random(seed);
  }

  #uniform(shape: number[], bound: number): Float32Array {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      values[i] = (this.#random.uniform() * 2 - 1) * bound;
    }
    return values;
  }

  #add(
    name: string,
    values: Float32Array,
    shape: number[],
    layout: Layout,
    trainable = true,
  ): tf.Variable {
    if (this.entries.has(name)) {
      throw new Error(`parameter ${name} registered twice`);
    }
    // tfjs variable names are global: prefix ours with this store's id.
    const variable = tf.tidy(() =>
      tf.variable(tf.tensor(values, shape), trainable, `${this.#id}/${name}`)
    );
    this.entries.set(name, { name, variable, layout, trainable });
    return variable;
  }

  /** A convolution filter `[kh, kw, in, out]`, PyTorch's default init. */
  conv(name: string, shape: [number, number, number, number]): Variable {
    const fanIn = shape[0] * shape[1] * shape[2];
    return this.#add(
      name,
      this.#uniform(shape, 1 / Math.sqrt(fanIn)),
      shape,
      "conv",
    );
  }

  /** A depthwise filter `[kh, kw, C, 1]`, PyTorch's default init. */
  depthwise(name: string, kernel: number, channels: number): Variable {
    const shape = [kernel, kernel, channels, 1];
    return this.#add(
      name,
      this.#uniform(shape, 1 / kernel),
      shape,
      "depthwise",
    );
  }

  /** A tensor drawn from N(0, std^2): the architecture parameters (1e-3). */
  normal(name: string, shape: number[], std: number): Variable {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) values[i] = std * this.#random.normal();
    return this.#add(name, values, shape, "vector");
  }

  /** A linear layer's weight `[in, out]` and bias, PyTorch's default init. */
  linear(
    name: string,
    inFeatures: number,
    outFeatures: number,
  ): { weight: Variable; bias: Variable } {
    const bound = 1 / Math.sqrt(inFeatures);
    return {
      weight: this.#add(
        `${name}.weight`,
        this.#uniform([inFeatures, outFeatures], bound),
        [inFeatures, outFeatures],
        "linear",
      ),
      bias: this.#add(
        `${name}.bias`,
        this.#uniform([outFeatures], bound),
        [outFeatures],
        "vector",
      ),
    };
  }

  /**
   * BatchNorm parameters (when affine) and the running-statistics buffer
   * (`[2C]`, see {@linkcode RUNNING_STATISTICS}; starts at mean 0, variance 1).
   */
  batchNorm(name: string, channels: number, affine: boolean): {
    gamma?: Variable;
    beta?: Variable;
    runningStatistics: Variable;
  } {
    const ones = new Float32Array(channels).fill(1);
    const zeros = new Float32Array(channels);
    const initial = new Float32Array(2 * channels).fill(1, channels);
    return {
      gamma: affine
        ? this.#add(`${name}.weight`, ones, [channels], "vector")
        : undefined,
      beta: affine
        ? this.#add(`${name}.bias`, zeros, [channels], "vector")
        : undefined,
      runningStatistics: this.#add(
        `${name}.${RUNNING_STATISTICS}`,
        initial,
        [2 * channels],
        "vector",
        false,
      ),
    };
  }

  /** The trainable parameters, in creation order. */
  trainable(): Parameter[] {
    return [...this.entries.values()].filter((p) => p.trainable);
  }

  /** Number of trainable scalars. */
  countTrainable(filter: (name: string) => boolean = () => true): number {
    return this.trainable().filter((p) => filter(p.name)).reduce(
      (sum, p) => sum + p.variable.size,
      0,
    );
  }

  /**
   * Folds training-mode batch statistics into the running averages, PyTorch's
   * way (momentum 0.1, unbiased variance), and disposes them.
   */
  updateRunningStatistics(
    statistics: BatchStatistics[],
    momentum = 0.1,
  ): void {
    runningAverages(
      statistics.map(({ name, statistics: batch, count }) => ({
        running: this.entries.get(`${name}.${RUNNING_STATISTICS}`)!.variable,
        batch,
        correction: count / Math.max(1, count - 1),
      })),
      momentum,
    );
    for (const s of statistics) s.statistics.dispose();
    statistics.length = 0;
  }

  /** Disposes every variable. */
  dispose(): void {
    for (const p of this.entries.values()) p.variable.dispose();
    this.entries.clear();
  }
}
