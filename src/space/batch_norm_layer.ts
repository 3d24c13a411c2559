/** A BatchNorm2d layer bound to its named parameters and buffers. */
import * as tf from "../tf.ts";
import {
  BATCH_NORM_EPSILON,
  batchNormInference,
  batchNormReluTraining,
  type BatchNormResult,
  batchNormTraining,
} from "../ops/batch_norm.ts";
import { relu } from "../ops/activation.ts";
import type { ForwardContext, ParameterStore } from "./parameters.ts";

/** BatchNorm2d over the channels of an NHWC tensor. */
export class BatchNormLayer {
  readonly #name: string;
  readonly #gamma?: tf.Variable;
  readonly #beta?: tf.Variable;
  readonly #runningStatistics: tf.Variable;

  /** Registers `name.weight`/`name.bias` (if affine) and the running statistics. */
  constructor(
    store: ParameterStore,
    name: string,
    channels: number,
    affine: boolean,
  ) {
    this.#name = name;
    const p = store.batchNorm(name, channels, affine);
    this.#gamma = p.gamma;
    this.#beta = p.beta;
    this.#runningStatistics = p.runningStatistics;
  }

  /** Normalizes `x` with batch (training) or running (evaluation) statistics. */
  forward(x: tf.Tensor4D, context: ForwardContext): tf.Tensor4D {
    const gamma = this.#gamma as tf.Tensor1D | undefined;
    const beta = this.#beta as tf.Tensor1D | undefined;
    if (!context.training) {
      return batchNormInference(
        x,
        this.#runningStatistics as tf.Tensor1D,
        gamma,
        beta,
      );
    }
    return this.#recorded(x, batchNormTraining(x, gamma, beta), context);
  }

  /**
   * `relu(forward(x))`: in training without γ and β, one op (one program a
   * pass on webgpu).
   */
  forwardRelu(x: tf.Tensor4D, context: ForwardContext): tf.Tensor4D {
    if (!context.training || this.#gamma !== undefined) {
      return relu(this.forward(x, context));
    }
    return this.#recorded(x, batchNormReluTraining(x), context);
  }

  /**
   * In training without γ and β, the output of `fused`, an op that ends in
   * this batch norm (given its ε), with the statistics it reports recorded;
   * elsewhere null, for the caller to run its ops one by one.
   */
  forwardFused(
    context: ForwardContext,
    fused: (epsilon: number) => BatchNormResult,
  ): tf.Tensor4D | null {
    if (!context.training || this.#gamma !== undefined) return null;
    const result = fused(BATCH_NORM_EPSILON);
    return this.#recorded(result.output, result, context);
  }

  /** Records (or frees) the batch statistics of a training-mode pass over `x`'s shape. */
  #recorded(
    x: tf.Tensor4D,
    { output, statistics }: BatchNormResult,
    context: ForwardContext,
  ): tf.Tensor4D {
    if (context.batchStatistics) {
      const [n, h, w] = x.shape;
      context.batchStatistics.push({
        name: this.#name,
        statistics,
        count: n * h * w,
      });
    } else {
      statistics.dispose();
    }
    return output;
  }
}
