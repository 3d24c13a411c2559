/**
 * The architecture step: the gradient of the validation loss with respect to
 * the alphas (and betas), then an Adam update.
 *
 * - First order: the gradient at the current weights.
 * - Second order (DARTS' unrolled step): a virtual SGD step
 *   `w' = w − ξ (momentum·buf + ∇w L_train(w) + wd·w)` with ξ the current weight
 *   learning rate; the gradient of `L_val(w', α)`; minus ξ times the
 *   finite-difference Hessian-vector product
 *   `(∇α L_train(w⁺) − ∇α L_train(w⁻)) / 2ε`, `w± = w ± ε ∇w' L_val`,
 *   `ε = 0.01 / ‖∇w' L_val‖`.
 *
 * BatchNorm running statistics are updated wherever the reference's model runs a
 * training-mode forward pass (not on the virtual weights).
 */
import * as tf from "../tf.ts";
import {
  withoutMixingWeightGradients,
  withoutWeightGradients,
} from "../ops/custom_gradient.ts";
import { type BatchStatistics } from "../space/parameters.ts";
import { crossEntropy, type SearchNetwork } from "../space/search_network.ts";
import type { Adam, Sgd, TensorMap } from "../optim/optimizers.ts";
import type { TensorBatch } from "../data/batch_tensors.ts";
import { squaredNorm } from "../ops/squared_norm.ts";

export type { TensorBatch } from "../data/batch_tensors.ts";

/** Loss and gradients of `network` on `batch` with respect to `variables`. */
export function lossAndGradients(
  network: SearchNetwork,
  batch: TensorBatch,
  variables: tf.Variable[],
  updateStatistics: boolean,
  keepLogits = false,
): { loss: tf.Scalar; grads: TensorMap; logits?: tf.Tensor2D } {
  const statistics: BatchStatistics[] = [];
  let logits: tf.Tensor2D | undefined;
  // Architecture-only gradients need no filter gradients, and weight-only
  // ones no mixing-weight gradients (see gradientNeeds).
  const weightNames = new Set(network.weightVariables().map((w) => w.name));
  const weightsRequested = variables.some((v) => weightNames.has(v.name));
  const architectureRequested = variables.some((v) => !weightNames.has(v.name));
  const compute = () =>
    tf.variableGrads(() => {
      const out = network.forward(batch.images, {
        training: true,
        batchStatistics: statistics,
      });
      if (keepLogits) logits = tf.keep(out);
      return crossEntropy(out, batch.labels);
    }, variables);
  const needed = weightsRequested
    ? compute
    : () => withoutWeightGradients(compute);
  const { value, grads } = architectureRequested
    ? needed()
    : withoutMixingWeightGradients(needed);
  if (updateStatistics) network.weights.updateRunningStatistics(statistics);
  else tf.dispose(statistics.map((s) => s.statistics));
  return { loss: value, grads, logits };
}

/** Everything the architecture step needs. */
export interface ArchitectStep {
  network: SearchNetwork;
  adam: Adam;
  archLearningRate: number;
  secondOrder: boolean;
  /** The weight optimizer (momentum buffers and weight decay for the unrolled step). */
  sgd: Sgd;
  /** The current weight learning rate ξ. */
  weightLearningRate: number;
}

/** One architecture update; returns the validation loss (at w or w'). */
export async function architectureStep(
  step: ArchitectStep,
  validation: TensorBatch,
  train: TensorBatch,
): Promise<number> {
  const { network, adam } = step;
  const archVariables = network.architectureVariables();
  if (!step.secondOrder) {
    const { loss, grads } = lossAndGradients(
      network,
      validation,
      archVariables,
      true,
    );
    adam.step(grads, step.archLearningRate);
    const value = (await loss.data())[0];
    tf.dispose([loss, ...Object.values(grads)]);
    return value;
  }
  return await unrolledStep(step, validation, train);
}

/**
 * The unrolled step's virtual weights, one SGD step ahead without moving the
 * momentum buffers: `w' = w − ξ (momentum·buf + g + wd·w)`, with `buf` the
 * weight optimizer's buffer (none before its first step) and `g` the training
 * gradient at `w`. New tensors, in the order of `weights`.
 */
export function virtualWeights(
  weights: tf.Variable[],
  gradients: TensorMap,
  sgd: Sgd,
  xi: number,
): tf.Tensor[] {
  return weights.map((w) =>
    tf.tidy(() => {
      const decayed = tf.add(gradients[w.name], tf.mul(w, sgd.weightDecay));
      const buffer = sgd.buffers.get(w.name);
      const direction = buffer
        ? tf.add(tf.mul(buffer, sgd.momentum), decayed)
        : decayed;
      return tf.sub(w, tf.mul(direction, xi));
    })
  );
}

async function unrolledStep(
  step: ArchitectStep,
  validation: TensorBatch,
  train: TensorBatch,
): Promise<number> {
  const { network, adam, sgd } = step;
  const xi = step.weightLearningRate;
  const weights = network.weightVariables();
  const archVariables = network.architectureVariables();
  const original = weights.map((w) => tf.clone(w));
  // Virtual step w' on the training batch.
  const trainAtW = lossAndGradients(network, train, weights, true);
  const unrolled = virtualWeights(weights, trainAtW.grads, sgd, xi);
  weights.forEach((w, i) => w.assign(unrolled[i]));
  tf.dispose(unrolled);
  tf.dispose([trainAtW.loss, ...Object.values(trainAtW.grads)]);
  // Validation gradients at w' (the reference's unrolled copy: its statistics are discarded).
  const atUnrolled = lossAndGradients(network, validation, [
    ...archVariables,
    ...weights,
  ], false);
  const lossValue = (await atUnrolled.loss.data())[0];
  const vector = weights.map((w) =>
    atUnrolled.grads[w.name] ?? tf.zerosLike(w)
  );
  const normTensor = tf.tidy(() => tf.sqrt(squaredNorm(vector)));
  const norm = (await normTensor.data())[0];
  normTensor.dispose();
  const epsilon = 0.01 / norm;
  const archGradientsAt = (sign: number) => {
    tf.tidy(() =>
      weights.forEach((w, i) =>
        w.assign(tf.add(original[i], tf.mul(vector[i], sign * epsilon)))
      )
    );
    const { loss, grads } = lossAndGradients(
      network,
      train,
      archVariables,
      true,
    );
    loss.dispose();
    return grads;
  };
  const plus = archGradientsAt(1);
  const minus = archGradientsAt(-1);
  weights.forEach((w, i) => w.assign(original[i]));
  const gradients: TensorMap = {};
  for (const a of archVariables) {
    // A parameter no cell uses (e.g. normal alphas when every cell reduces) has none.
    if (!atUnrolled.grads[a.name]) continue;
    gradients[a.name] = tf.tidy(() =>
      tf.sub(
        atUnrolled.grads[a.name],
        tf.mul(tf.div(tf.sub(plus[a.name], minus[a.name]), 2 * epsilon), xi),
      )
    );
  }
  adam.step(gradients, step.archLearningRate);
  tf.dispose([
    ...original,
    atUnrolled.loss,
    ...Object.values(atUnrolled.grads),
    ...Object.values(plus),
    ...Object.values(minus),
    ...Object.values(gradients),
  ]);
  return lossValue;
}
