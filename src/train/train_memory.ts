/**
 * Whether a training run's step fits its backend, asked before the run
 * starts. A step past the wasm heap's 4 GiB does not fail fast: the heap grows
 * until it cannot, and the step stalls. The paper's training step (C=36, 20
 * cells, batch 96) needs about 10 GiB of tensors, 1.4 GiB with its cells
 * recomputed. The step's buffers are metered at batches 2 and 4 on the backend
 * itself and extrapolated linearly in the batch (activations grow with it;
 * weights and optimizer state do not), as a search's are
 * (`cli/memory_guard.ts`).
 */
import * as tf from "../tf.ts";
import { Random } from "../ops/random.ts";
import { Sgd } from "../optim/optimizers.ts";
import { startBufferMeter } from "../run/buffer_meter.ts";
import { crossEntropy } from "../space/search_network.ts";
import type { Genotype } from "../space/genotype.ts";
import { EvalNetwork } from "./eval_network.ts";
import { trainStep } from "./train_step.ts";
import type { TrainConfig } from "./train_config.ts";
import { backendCapacity, MEMORY_MARGIN } from "../backends/memory_capacity.ts";

/** The two batch sizes a step is metered at. */
const PROBE_BATCHES = [2, 4] as const;

/** What a training step is, for its memory. */
export interface TrainStepShape {
  config: Pick<
    TrainConfig,
    | "channels"
    | "layers"
    | "auxiliary"
    | "dropPath"
    | "batchSize"
    | "stem"
    | "recomputeCells"
  >;
  genotype: Genotype;
  /** The images' side in pixels. */
  imageSide: number;
  numClasses: number;
  /** Image channels (3). */
  inputChannels: number;
}

/** Peak buffer bytes of one training step at `batchSize` on the active backend. */
async function probe(
  shape: TrainStepShape,
  batchSize: number,
): Promise<number> {
  const { config, imageSide: side, inputChannels } = shape;
  const meter = startBufferMeter();
  try {
    const network = new EvalNetwork({
      genotype: shape.genotype,
      channels: config.channels,
      layers: config.layers,
      numClasses: shape.numClasses,
      auxiliary: config.auxiliary,
      inputChannels,
      stem: config.stem ?? "cifar",
      recomputeCells: config.recomputeCells ?? false,
    });
    const sgd = new Sgd(network.weightVariables(), {
      momentum: 0.9,
      weightDecay: 3e-4,
    });
    const random = new Random(1);
    const pixels = Float32Array.from(
      { length: batchSize * side * side * inputChannels },
      () => random.normal(),
    );
    const batch = {
      images: tf.tensor4d(pixels, [batchSize, side, side, inputChannels]),
      labels: tf.tensor1d(
        Int32Array.from(
          { length: batchSize },
          () => random.int(shape.numClasses),
        ),
        "int32",
      ),
    };
    try {
      await trainStep({
        network,
        sgd,
        loss: crossEntropy,
        learningRate: 0.025,
        dropPathProbability: config.dropPath,
        auxiliaryWeight: 0.4,
        gradientClip: 5,
        where: "the memory check's step",
      }, batch);
      return meter.peakBytes;
    } finally {
      tf.dispose([batch.images, batch.labels]);
      sgd.dispose();
      network.dispose();
    }
  } finally {
    meter.stop();
  }
}

/** A training step's extrapolated tensor bytes and the backend's verdict. */
export interface TrainMemoryCheck {
  /** Extrapolated peak tensor bytes of one step at the configured batch. */
  stepBytes: number;
  /** What the backend can hold (null: not known, nothing measured). */
  capacityBytes: number | null;
  /** Whether stepBytes × MEMORY_MARGIN fits the capacity. */
  fits: boolean;
}

/** Meters the step at two small batches and compares it with `backend`'s capacity. */
export async function checkTrainMemory(
  shape: TrainStepShape,
  backend: string,
): Promise<TrainMemoryCheck> {
  const capacityBytes = backendCapacity(backend);
  const [b1, b2] = PROBE_BATCHES;
  if (capacityBytes === null || shape.config.batchSize <= b2) {
    return { stepBytes: NaN, capacityBytes, fits: true };
  }
  const p1 = await probe(shape, b1);
  const p2 = await probe(shape, b2);
  const perImage = Math.max(0, (p2 - p1) / (b2 - b1));
  const stepBytes = p2 + perImage * (shape.config.batchSize - b2);
  return {
    stepBytes,
    capacityBytes,
    fits: stepBytes * MEMORY_MARGIN <= capacityBytes,
  };
}

/** The outcome of {@linkcode fitTrainingStep}. */
export interface TrainingFit {
  /** Whether the run recomputes its cells (null: no setting fits). */
  recomputeCells: boolean | null;
  /** Each setting tried, in order, with its check. */
  tried: { recomputeCells: boolean; memory: TrainMemoryCheck }[];
}

/**
 * The recomputation a run takes on `backend`: its configuration's where that
 * names it (`--recompute-cells`, or a resumed run's own); else its cells kept
 * where they fit, else recomputed where that fits; null where nothing fits.
 */
export async function fitTrainingStep(
  shape: TrainStepShape,
  backend: string,
  fixed: boolean,
): Promise<TrainingFit> {
  const asked = shape.config.recomputeCells ?? false;
  const tries = fixed || asked ? [asked] : [false, true];
  const tried: TrainingFit["tried"] = [];
  for (const recomputeCells of tries) {
    const memory = await checkTrainMemory(
      { ...shape, config: { ...shape.config, recomputeCells } },
      backend,
    );
    tried.push({ recomputeCells, memory });
    if (memory.fits) return { recomputeCells, tried };
  }
  return { recomputeCells: null, tried };
}

/** A size in words: `740 MiB`, `10.1 GiB`. */
export function byteSize(bytes: number): string {
  return bytes < 2 ** 30
    ? `${(bytes / 2 ** 20).toFixed(0)} MiB`
    : `${(bytes / 2 ** 30).toFixed(1)} GiB`;
}

/** A tried setting's need against the backend, in words. */
export function describeTrainMemory(
  tried: TrainingFit["tried"][number],
  backend: string,
): string {
  const { memory } = tried;
  return `about ${byteSize(memory.stepBytes)} of tensors with its cells ${
    tried.recomputeCells ? "recomputed" : "kept"
  } (measured at batches ${
    PROBE_BATCHES.join(" and ")
  } on ${backend}, extrapolated), against the ${
    byteSize(memory.capacityBytes ?? NaN)
  } the ${backend} backend can hold`;
}
