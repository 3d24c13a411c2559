/**
 * One training step of the evaluation network, as the reference's train.py
 * takes it: forward with drop-path, the loss (plus the auxiliary head's at its
 * weight), backward, the BatchNorm running statistics, the gradient norm
 * clipped, an SGD step. Training and the training-step benchmark share it.
 */
import * as tf from "../tf.ts";
import type { BatchStatistics } from "../space/parameters.ts";
import { clipGradientNorm, type Sgd } from "../optim/optimizers.ts";
import { throwOnBackendErrors } from "../backends/backend_table.ts";
import { correctCount, type TensorBatch } from "../data/batch_tensors.ts";
import type { EvalNetwork } from "./eval_network.ts";

/** What one step needs besides its batch. */
export interface TrainStepOptions {
  network: EvalNetwork;
  sgd: Sgd;
  /** The loss of logits against labels. */
  loss: (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Scalar;
  learningRate: number;
  dropPathProbability: number;
  auxiliaryWeight: number;
  gradientClip: number;
  /** Names the step in errors (`epoch 3, step 17`). */
  where: string;
}

/**
 * Takes one step on `batch` (which the caller still owns); returns its loss
 * and correct predictions. A loss that is not finite throws before any weight
 * moves.
 */
export async function trainStep(
  o: TrainStepOptions,
  batch: TensorBatch,
): Promise<{ loss: number; hits: number }> {
  const statistics: BatchStatistics[] = [];
  let logits: tf.Tensor2D | undefined;
  const { value, grads } = tf.variableGrads(() => {
    const out = o.network.forward(batch.images, {
      training: true,
      batchStatistics: statistics,
      dropPathProbability: o.dropPathProbability,
    });
    logits = tf.keep(out.logits);
    const main = o.loss(out.logits, batch.labels);
    return (out.auxiliary
      ? tf.add(
        main,
        tf.mul(o.loss(out.auxiliary, batch.labels), o.auxiliaryWeight),
      )
      : main) as tf.Scalar;
  }, o.network.weightVariables());
  try {
    o.network.weights.updateRunningStatistics(statistics);
    const loss = (await value.data())[0];
    throwOnBackendErrors(o.where);
    if (!Number.isFinite(loss)) {
      throw new NonFiniteTrainingLoss(loss, o.where);
    }
    await clipGradientNorm(grads, o.gradientClip);
    o.sgd.step(grads, o.learningRate);
    const hits = await correctCount(logits!, batch.labels);
    return { loss, hits };
  } finally {
    tf.dispose([value, logits!, ...Object.values(grads)]);
  }
}

/** A training loss that is not a finite number. */
export class NonFiniteTrainingLoss extends Error {
  constructor(readonly loss: number, readonly where: string) {
    super(`training loss is ${loss} at ${where}`);
  }
}
