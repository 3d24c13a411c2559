/**
 * One step of the search, as the reference's training loop takes it: an
 * architecture update from a validation batch (once the warm-up is over), then
 * the weights' gradient on a training batch, clipped by its global norm, and
 * an SGD update. The search, the step benchmark and the tests all take this
 * step, so that what is measured is what is run.
 */
import * as tf from "../tf.ts";
import { throwOnBackendErrors } from "../backends/backend_table.ts";
import {
  type ArchitectStep,
  architectureStep,
  lossAndGradients,
  type TensorBatch,
} from "./architect.ts";
import { clipGradientNorm } from "../optim/optimizers.ts";

/** A NaN or infinite loss. */
export class NonFiniteLossError extends Error {}

/** The step's network, optimizers and hyperparameters. */
export interface SearchStep extends ArchitectStep {
  /** Global norm the weights' gradient is clipped to. */
  gradientClip: number;
}

/** The batches of one step. */
export interface SearchStepBatches {
  /** Validation batch for the architecture update; null skips it (warm-up). */
  architecture: TensorBatch | null;
  /** Training batch for the weight update. */
  weights: TensorBatch;
}

/** What one step measured. */
export interface SearchStepResult {
  /** The architecture step's validation loss, or null without one. */
  architectureLoss: number | null;
  /** The training loss before the weight update. */
  loss: number;
  /** The training batch's logits, when asked for (the caller disposes them). */
  logits?: tf.Tensor2D;
}

/**
 * Takes one search step (the weight learning rate is
 * `step.weightLearningRate`). A NaN or infinite loss throws a
 * {@linkcode NonFiniteLossError} naming `where`, before the weights change; so
 * does an error the GPU reported.
 */
export async function searchStep(
  step: SearchStep,
  batches: SearchStepBatches,
  where: string,
  keepLogits = false,
): Promise<SearchStepResult> {
  let architectureLoss: number | null = null;
  if (batches.architecture) {
    architectureLoss = await architectureStep(
      step,
      batches.architecture,
      batches.weights,
    );
    if (!Number.isFinite(architectureLoss)) {
      throw new NonFiniteLossError(
        `architecture loss is ${architectureLoss} at ${where}`,
      );
    }
  }
  const result = lossAndGradients(
    step.network,
    batches.weights,
    step.network.weightVariables(),
    true,
    keepLogits,
  );
  try {
    const loss = (await result.loss.data())[0];
    if (!Number.isFinite(loss)) {
      throw new NonFiniteLossError(`training loss is ${loss} at ${where}`);
    }
    throwOnBackendErrors(where);
    await clipGradientNorm(result.grads, step.gradientClip);
    step.sgd.step(result.grads, step.weightLearningRate);
    return { architectureLoss, loss, logits: result.logits };
  } catch (error) {
    result.logits?.dispose();
    throw error;
  } finally {
    // Read now: clipping replaces the gradients it scales.
    tf.dispose([result.loss, ...Object.values(result.grads)]);
  }
}
