/**
 * The search methods' registry. A method is one file in `methods/` that calls
 * {@linkcode registerSearchMethod}; `methods/all.ts` imports each file, one
 * line a method. Everything else (configurations, the CLI's help, the memory
 * guard, step measurement, the report, the error grid) asks the registry
 * through `search_methods.ts`, which loads every method first.
 */
import type { ImageDataset } from "../data/dataset.ts";
import type { TensorBatch } from "../data/batch_tensors.ts";
import type { Genotype } from "../space/genotype.ts";
import type { SearchNetwork } from "../space/search_network.ts";
import type { SearchConfig } from "./search_config.ts";
import type {
  SearchStep,
  SearchStepBatches,
  SearchStepResult,
} from "./search_step.ts";

/** Where a step is in its search: what seeds a method's per-step draws. */
export interface StepPosition {
  /** The epoch (0-based). */
  epoch: number;
  /** The step within the epoch (0-based). */
  step: number;
  /** The run's seed. */
  seed: number;
}

/** What a method may use to derive its cell at the end of an epoch. */
export interface DeriveContext {
  /** The epoch just finished (0-based). */
  epoch: number;
  /** The run's seed. */
  seed: number;
  /**
   * The first `count` batches of the held-out (architecture) split, without
   * augmentation and in a fixed order; the caller disposes them.
   */
  validationBatches(count: number): Promise<TensorBatch[]>;
}

/** What a space needs to know of its data: classes and input channels. */
export type DataShape = Pick<ImageDataset, "numClasses" | "channels">;

/** What one step of a search method is given. */
export interface MethodStepOptions {
  /** The network, its optimizers and this step's learning rates. */
  step: Omit<SearchStep, "secondOrder">;
  /** The architecture batch (null in the warm-up) and the weight batch. */
  batches: SearchStepBatches;
  /** Names the step in errors (`epoch 3, step 17`). */
  where: string;
  /** Return the weight step's logits (the caller disposes them). */
  keepLogits: boolean;
  /** Where in the run the step is (seeds per-step draws). */
  at: StepPosition;
}

/** What a search method does. */
export interface SearchMethod {
  /** Its name in configurations, flags and CSVs. */
  readonly name: string;
  /** One line for help texts. */
  readonly summary: string;
  /**
   * Its reference protocol at the paper's size: every configuration field the
   * method sets (K, edge normalization, batch, epochs, warm-up, learning rates,
   * order). The sizes scale epochs and warm-up from these.
   */
  readonly defaults: MethodDefaults;
  /** The space: the network of mixed operations the configuration describes. */
  buildSpace(config: SearchConfig, data: DataShape): SearchNetwork;
  /**
   * One step: an architecture update from `batches.architecture` (none in the
   * warm-up), then a weight update.
   */
  step(options: MethodStepOptions): Promise<SearchStepResult>;
  /**
   * The discrete cell, at the end of each epoch and of the search. It may set
   * the network's architecture to that cell: the epoch's evaluation follows.
   */
  deriveGenotype(
    network: SearchNetwork,
    context: DeriveContext,
  ): Promise<Genotype>;
}

/** The configuration fields a method sets. */
export type MethodDefaults = Pick<
  SearchConfig,
  | "partialChannels"
  | "edgeNormalization"
  | "batchSize"
  | "epochs"
  | "warmupEpochs"
  | "learningRate"
  | "learningRateMin"
  | "archLearningRate"
  | "secondOrder"
>;

const registry = new Map<string, SearchMethod>();

/** Adds a method; a second method of the same name is an error. */
export function registerSearchMethod(method: SearchMethod): void {
  if (registry.has(method.name)) {
    throw new Error(`search method "${method.name}" is registered twice`);
  }
  registry.set(method.name, method);
}

/** The registered methods' names, in registration order. */
export function registeredMethodNames(): string[] {
  return [...registry.keys()];
}

/** The method named `name`; throws naming the choices. */
export function registeredMethod(name: string): SearchMethod {
  const method = registry.get(name);
  if (method === undefined) {
    throw new Error(
      `unknown method "${name}"; choose ${registeredMethodNames().join(", ")}`,
    );
  }
  return method;
}
