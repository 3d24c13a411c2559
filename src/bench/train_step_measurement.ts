/**
 * The evaluation network's training step, measured as the search step is
 * (`step_measurement.ts`): the reference's train.py step (`train/train_step.ts`)
 * on `PC_DARTS_cifar`'s cell and seeded random data, with the machine's
 * ceilings measured first and the profiled step's kernels counted against
 * them.
 */
import * as tf from "../tf.ts";
import { Random } from "../ops/random.ts";
import { Sgd } from "../optim/optimizers.ts";
import { startBufferMeter } from "../run/buffer_meter.ts";
import { EvalNetwork } from "../train/eval_network.ts";
import { trainStep } from "../train/train_step.ts";
import { evalNetworkCost } from "../train/network_cost.ts";
import { PC_DARTS_cifar } from "../train/genotypes.ts";
import { crossEntropy } from "../space/search_network.ts";
import { measureMachinePeak } from "./machine_peak.ts";
import {
  randomBatch,
  type StepMeasurement,
  timeSteps,
} from "./step_measurement.ts";
import type { SuiteRow } from "./suite_measurements.ts";
import { kernelKindRows, timedStepColumns } from "./step_row.ts";

/** The training-step configurations (the twin, benchmarks/reference_train_step.py, knows the same). */
export const TRAIN_STEP_CONFIGS = {
  /** For tests: seconds. */
  smoke: {
    channels: 4,
    layers: 3,
    imageSize: 16,
    batchSize: 8,
    auxiliary: false,
    dropPath: 0,
  },
  /** The cpu protocol's training: 16×16 images, no auxiliary head. */
  cpu: {
    channels: 16,
    layers: 5,
    imageSize: 16,
    batchSize: 64,
    auxiliary: false,
    dropPath: 0,
  },
  /** The paper's: C=36, 20 cells, auxiliary head at 0.4, drop-path 0.2. */
  paper: {
    channels: 36,
    layers: 20,
    imageSize: 32,
    batchSize: 96,
    auxiliary: true,
    dropPath: 0.2,
  },
} as const;

/** A training-step configuration's name. */
export type TrainStepConfig = keyof typeof TRAIN_STEP_CONFIGS;

/**
 * Floating-point operations of one training step: each multiply-add twice,
 * three passes (forward, input and weight gradients) of the convolutions and
 * linear layers, less the stem's input gradient, which nothing needs. The
 * auxiliary head is left out (as in the papers' counts).
 */
export function trainStepFlops(config: TrainStepConfig): number {
  const c = TRAIN_STEP_CONFIGS[config];
  const cost = evalNetworkCost({
    genotype: PC_DARTS_cifar,
    channels: c.channels,
    layers: c.layers,
    numClasses: 10,
    stem: "cifar",
    imageSize: c.imageSize,
  });
  const stemInputGradient = c.imageSize ** 2 * 9 * 3 * 3 * c.channels;
  return 2 * c.batchSize * (3 * cost.multiplyAdds - stemInputGradient);
}

/** Builds the network and measures its training step. */
export async function measureTrainStep(
  config: TrainStepConfig,
  options:
    & {
      steps: number;
      warmup?: number;
      seed?: number;
      /** Recompute cell intermediates in the backward pass. */
      recomputeCells?: boolean;
    }
    & Pick<Parameters<typeof timeSteps>[1], "peak" | "profile">,
): Promise<Omit<StepMeasurement, "gpuTime">> {
  const c = TRAIN_STEP_CONFIGS[config];
  const meter = options.profile === false ? null : startBufferMeter();
  try {
    const seed = options.seed ?? 0;
    const network = new EvalNetwork({
      genotype: PC_DARTS_cifar,
      channels: c.channels,
      layers: c.layers,
      numClasses: 10,
      auxiliary: c.auxiliary,
      seed,
      recomputeCells: options.recomputeCells ?? false,
    });
    const sgd = new Sgd(network.weightVariables(), {
      momentum: 0.9,
      weightDecay: 3e-4,
    });
    const batch = randomBatch(
      new Random(seed),
      c.batchSize,
      c.imageSize,
      10,
    );
    try {
      return await timeSteps(async () => {
        await trainStep({
          network,
          sgd,
          loss: crossEntropy,
          learningRate: 0.025,
          dropPathProbability: c.dropPath,
          auxiliaryWeight: 0.4,
          gradientClip: 5,
          where: "a measured training step",
        }, batch);
      }, { ...options, meter });
    } finally {
      tf.dispose([batch.images, batch.labels]);
      sgd.dispose();
      network.dispose();
    }
  } finally {
    meter?.stop();
  }
}

/** The training-step suite's row and its profiled step's kernels by kind. */
export async function trainStepSuite(
  config: TrainStepConfig,
  steps: number,
  recomputeCells = false,
): Promise<{ rows: SuiteRow[]; kinds: SuiteRow[] }> {
  const c = TRAIN_STEP_CONFIGS[config];
  const peak = await measureMachinePeak();
  const m = await measureTrainStep(config, {
    steps,
    warmup: 1,
    peak,
    recomputeCells,
  });
  const flops = trainStepFlops(config);
  const roofline = m.roofline!;
  const kinds = kernelKindRows(config, c.batchSize, roofline);
  const row: SuiteRow = {
    config,
    genotype_name: "PC_DARTS_cifar",
    auxiliary: c.auxiliary,
    drop_path: c.dropPath,
    batch_size: c.batchSize,
    recompute_cells: recomputeCells,
    ...timedStepColumns({ ...m, roofline }, flops, peak),
  };
  return { rows: [row], kinds };
}
