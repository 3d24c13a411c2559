/**
 * The search methods behind one interface: each builds its space, takes a
 * step and derives its cell. `pcdarts` and `darts1` differ only in their
 * configuration (K, edge normalization, batch, learning rates: see
 * search_config.ts) and take first-order steps; `darts2` takes the unrolled,
 * second-order architecture step. The search loop (search.ts) knows nothing
 * else about them.
 */
import type { ImageDataset } from "../data/dataset.ts";
import type { Genotype } from "../space/genotype.ts";
import { SearchNetwork } from "../space/search_network.ts";
import type { SearchConfig, SearchMethodName } from "./search_config.ts";
import {
  type SearchStep,
  searchStep,
  type SearchStepBatches,
  type SearchStepResult,
} from "./search_step.ts";

/** What a search method does. */
export interface SearchMethod {
  /** Its name in configurations and CSVs. */
  readonly name: SearchMethodName;
  /** The space: the network of mixed operations the configuration describes. */
  buildSpace(config: SearchConfig, data: ImageDataset): SearchNetwork;
  /**
   * One step: an architecture update from `batches.architecture` (none in the
   * warm-up), then a weight update; `where` names the step in errors.
   */
  step(
    step: Omit<SearchStep, "secondOrder">,
    batches: SearchStepBatches,
    where: string,
    keepLogits?: boolean,
  ): Promise<SearchStepResult>;
  /** The discrete cell the architecture parameters imply. */
  deriveGenotype(network: SearchNetwork): Promise<Genotype>;
}

/** The network a configuration describes, its weights drawn from its seed. */
export function buildSearchNetwork(
  config: SearchConfig,
  data: ImageDataset,
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
  });
}

function differentiableMethod(
  name: SearchMethodName,
  secondOrder: boolean,
): SearchMethod {
  return {
    name,
    buildSpace: buildSearchNetwork,
    step: (step, batches, where, keepLogits) =>
      searchStep({ ...step, secondOrder }, batches, where, keepLogits),
    deriveGenotype: (network) => network.genotype(),
  };
}

/** Every method, by name. */
export const SEARCH_METHOD_IMPLEMENTATIONS: Record<
  SearchMethodName,
  SearchMethod
> = {
  pcdarts: differentiableMethod("pcdarts", false),
  darts1: differentiableMethod("darts1", false),
  darts2: differentiableMethod("darts2", true),
};
