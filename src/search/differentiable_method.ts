/**
 * The differentiable methods (PC-DARTS, DARTS): one mixed-operation network,
 * architecture steps by gradient, the cell read off the architecture
 * parameters. They differ only in their defaults and their order.
 */
import { SearchNetwork } from "../space/search_network.ts";
import type { DataShape } from "./method_registry.ts";
import type { SearchConfig } from "./search_config.ts";
import type { MethodDefaults, SearchMethod } from "./method_registry.ts";
import { searchStep } from "./search_step.ts";

/** The network a configuration describes, its weights drawn from its seed. */
export function buildSearchNetwork(
  config: SearchConfig,
  data: DataShape,
): SearchNetwork {
  return new SearchNetwork({
    channels: config.channels,
    layers: config.layers,
    numClasses: data.numClasses,
    partialChannels: config.partialChannels,
    edgeNormalization: config.edgeNormalization,
    channelSampling: config.channelSampling,
    seed: config.seed,
    inputChannels: data.channels,
    recomputeCells: config.recomputeCells ?? false,
    stem: config.stem ?? "cifar",
  });
}

/**
 * A differentiable method: its architecture step is second order (unrolled)
 * exactly when its defaults say so.
 */
export function differentiableMethod(
  name: string,
  summary: string,
  defaults: MethodDefaults,
): SearchMethod {
  return {
    name,
    summary,
    defaults,
    buildSpace: buildSearchNetwork,
    step: ({ step, batches, where, keepLogits }) =>
      searchStep(
        { ...step, secondOrder: defaults.secondOrder },
        batches,
        where,
        keepLogits,
      ),
    deriveGenotype: (network) => network.genotype(),
  };
}

/** DARTS's reference protocol (Liu et al., 2019), first order. */
export const DARTS_DEFAULTS: MethodDefaults = {
  partialChannels: 1,
  edgeNormalization: false,
  batchSize: 64,
  epochs: 50,
  warmupEpochs: 0,
  learningRate: 0.025,
  learningRateMin: 0.001,
  archLearningRate: 3e-4,
  secondOrder: false,
};
