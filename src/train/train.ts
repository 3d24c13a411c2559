/**
 * Training a genotype from scratch, the reference's way (see train_config.ts), with
 * a per-epoch CSV log, an atomic checkpoint after every epoch and resume. The
 * reported error is the final epoch's test error, never the best epoch's.
 */
import * as tf from "../tf.ts";
import type { Genotype } from "../space/genotype.ts";
import type { ImageDataset } from "../data/dataset.ts";
import {
  BatchLoader,
  type BatchSource,
  NO_AUGMENTATION,
} from "../data/batches.ts";
import { classBalancedSubset, range } from "../data/splits.ts";
import { cropPaddingFor, withImageSide } from "../data/image_side.ts";
import { batchToTensors, evaluateLoader } from "../data/batch_tensors.ts";
import { crossEntropy } from "../space/search_network.ts";
import { writeCsvAtomic } from "../io/csv_file.ts";
import { Sgd } from "../optim/optimizers.ts";
import type { CheckpointParts } from "../run/checkpoint.ts";
import {
  type EpochContext,
  evaluatesAfter,
  runEpochLoop,
  runEpochSteps,
} from "../run/epoch_loop.ts";
import type { PartialEpoch } from "../run/checkpoint.ts";
import { imageNetLearningRate } from "../optim/schedule.ts";
import { labelSmoothedCrossEntropy } from "./label_smoothing.ts";
import { EvalNetwork } from "./eval_network.ts";
import { NonFiniteTrainingLoss, trainStep } from "./train_step.ts";
import { TRAIN_EPOCH_COLUMNS, type TrainEpochRow } from "./train_epoch_row.ts";
import type { TrainConfig } from "./train_config.ts";

export type { TrainEpochRow };

/** The batches a training run reads, and the shape of its data. */
export interface TrainData {
  /** Classes and input channels. */
  shape: Pick<ImageDataset, "numClasses" | "channels">;
  /** The training batches (augmented). */
  train: BatchSource;
  /** The test batches (not augmented, in a fixed order). */
  test: BatchSource;
  /** Test images in all. */
  testImages: number;
}

/**
 * An in-memory data set's training batches: the run's subset at its image
 * side, augmented, and the first `testSubset` test images.
 */
export function inMemoryTrainData(
  config: TrainConfig,
  trainImages: ImageDataset,
  testImages: ImageDataset,
): TrainData {
  const trainData = withImageSide(trainImages, config.imageSide);
  const testData = withImageSide(testImages, config.imageSide);
  const testIndices = range(
    config.testSubset === null
      ? testData.count
      : Math.min(config.testSubset, testData.count),
  );
  return {
    shape: trainData,
    train: trainingLoader(config, trainData),
    test: new BatchLoader(testData, testIndices, {
      // The training batch size: evaluating in batches of 256 aborted the
      // wasm backend at the end of a C=16/8-layer run (most likely its heap).
      batchSize: config.batchSize,
      seed: 0,
      augment: NO_AUGMENTATION,
      shuffle: false,
    }),
    testImages: testIndices.length,
  };
}

/** What {@linkcode runTraining} needs. */
export interface TrainOptions {
  /** Resolved configuration. */
  config: TrainConfig;
  /** The genotype to train. */
  genotype: Genotype;
  /** Training images of an in-memory data set; or, instead, `data`. */
  trainData?: ImageDataset;
  /** Test images of an in-memory data set. */
  testData?: ImageDataset;
  /** The batches to train on, where they are not an in-memory data set's. */
  data?: TrainData;
  /** Run folder. */
  outDir: string;
  /** Continue from the checkpoint in `outDir`. */
  resume?: boolean;
  /** Progress reports. */
  callbacks?: {
    onEpochStart?(
      epoch: number,
      epochs: number,
      steps: number,
      startStep: number,
    ): void;
    onStep?(
      s: { step: number; steps: number; loss: number; accuracy: number },
    ): void;
    onEpochEnd?(row: TrainEpochRow): void;
    onCheckpoint?(partial: PartialEpoch): void;
  };
  /** Checkpoint inside an epoch every this many steps (absent or 0: by time alone). */
  checkpointEvery?: number;
  /** Checkpoint inside an epoch after this many seconds of work (default 600). */
  checkpointSeconds?: number;
}

/** The outcome of a training run. */
export interface TrainResult {
  /** Final-epoch test error (1 − accuracy). */
  testError: number;
  /** Test images evaluated. */
  testImages: number;
  /** Final-epoch top-5 test error. */
  testTop5Error: number;
  /** Parameters without the auxiliary head. */
  parameters: number;
  /** Per-epoch rows. */
  history: TrainEpochRow[];
  /** Wall seconds of all epochs. */
  seconds: number;
}

/** Test loss, accuracy and top-5 accuracy in evaluation mode. */
export function evaluateClassifier(
  network: EvalNetwork,
  loader: BatchSource,
): Promise<{ loss: number; accuracy: number; top5: number }> {
  return evaluateLoader(
    loader,
    (images) => network.forward(images, { training: false }).logits,
    crossEntropy,
  );
}

/**
 * The training batches of a run: its subset, shuffled and augmented by its
 * seed (`trainData` already at the run's image side).
 */
export function trainingLoader(
  config: TrainConfig,
  trainData: ImageDataset,
): BatchLoader {
  const indices = config.subset === null
    ? range(trainData.count)
    : classBalancedSubset(
      trainData.labels,
      trainData.numClasses,
      config.subset,
    );
  return new BatchLoader(trainData, indices, {
    batchSize: config.batchSize,
    seed: config.seed,
    augment: {
      cropPadding: cropPaddingFor(trainData.height),
      flip: true,
      cutout: config.cutout,
    },
  });
}

/** The network a run starts from (its weights drawn from the run's seed). */
export function initialNetwork(
  config: TrainConfig,
  genotype: Genotype,
  shape: Pick<ImageDataset, "numClasses" | "channels">,
): EvalNetwork {
  return new EvalNetwork({
    genotype,
    channels: config.channels,
    layers: config.layers,
    numClasses: shape.numClasses,
    auxiliary: config.auxiliary,
    seed: config.seed,
    inputChannels: shape.channels,
    stem: config.stem ?? "cifar",
    recomputeCells: config.recomputeCells ?? false,
  });
}

/** The run's loss: cross-entropy, label-smoothed where the config says. */
function lossOf(
  config: TrainConfig,
): (logits: tf.Tensor2D, labels: tf.Tensor1D) => tf.Scalar {
  const epsilon = config.labelSmoothing ?? 0;
  return epsilon > 0
    ? (logits, labels) => labelSmoothedCrossEntropy(logits, labels, epsilon)
    : crossEntropy;
}

/**
 * The learning rate per epoch: cosine from the initial rate to the minimum,
 * or ImageNet's linear warm-up and decay.
 */
function trainLearningRate(
  config: TrainConfig,
): ((epoch: number) => number) | { initial: number; final: number } {
  return config.schedule === "imagenet-linear"
    ? (epoch) =>
      imageNetLearningRate(
        epoch,
        config.epochs,
        config.learningRate,
        config.batchSize,
      )
    : { initial: config.learningRate, final: config.learningRateMin };
}

/** Trains (or resumes training) and writes the run folder. */
export async function runTraining(options: TrainOptions): Promise<TrainResult> {
  const { config, outDir, callbacks = {} } = options;
  if (!options.data && !(options.trainData && options.testData)) {
    throw new Error("runTraining needs trainData and testData, or data");
  }
  const data = options.data ??
    inMemoryTrainData(config, options.trainData!, options.testData!);
  const trainLoader = data.train;
  const testLoader = data.test;
  const loss = lossOf(config);
  await Deno.mkdir(outDir, { recursive: true });
  const network = initialNetwork(config, options.genotype, data.shape);
  const sgd = new Sgd(network.weightVariables(), {
    momentum: config.momentum,
    weightDecay: config.weightDecay,
  });
  const parts: CheckpointParts = {
    stores: [{ prefix: "weight", store: network.weights }],
    sgd,
    randoms: [network.random],
  };
  const checkpointPath = `${outDir}/checkpoint.safetensors`;
  try {
    let last = { loss: NaN, accuracy: NaN, top5: NaN };
    const runEpoch = async (
      epoch: number,
      lr: number,
      context: EpochContext<TrainEpochRow>,
    ): Promise<TrainEpochRow> => {
      const dropPathProbability = (config.dropPath * epoch) / config.epochs;
      const steps = trainLoader.batchesPerEpoch();
      callbacks.onEpochStart?.(epoch, config.epochs, steps, context.startStep);
      const done = await runEpochSteps({
        epoch,
        steps,
        context,
        onStep: callbacks.onStep,
        step: async (step) => {
          const batch = batchToTensors(await trainLoader.batch(epoch, step));
          try {
            const { loss: stepLoss, hits } = await trainStep({
              network,
              sgd,
              loss,
              learningRate: lr,
              dropPathProbability,
              auxiliaryWeight: config.auxiliaryWeight,
              gradientClip: config.gradientClip,
              where: `epoch ${epoch}, step ${step}`,
            }, batch);
            return { loss: stepLoss, hits, size: batch.labels.shape[0] };
          } catch (error) {
            if (!(error instanceof NonFiniteTrainingLoss)) throw error;
            throw new Error(
              `${error.message}; the last good checkpoint stays in ${checkpointPath}`,
            );
          } finally {
            tf.dispose([batch.images, batch.labels]);
          }
        },
      });
      const evaluateNow = evaluatesAfter(
        epoch,
        config.epochs,
        config.evalEvery,
      );
      if (evaluateNow) last = await evaluateClassifier(network, testLoader);
      return {
        epoch,
        lr,
        drop_path: dropPathProbability,
        train_loss: done.lossSum / done.seen,
        train_acc: done.correct / done.seen,
        test_loss: evaluateNow ? last.loss : null,
        test_acc: evaluateNow ? last.accuracy : null,
        test_top5_acc: evaluateNow ? last.top5 : null,
        seconds: done.seconds,
      };
    };
    const history = await runEpochLoop<TrainEpochRow>({
      epochs: config.epochs,
      learningRate: trainLearningRate(config),
      checkpointPath,
      parts,
      resume: Boolean(options.resume),
      checkpointEvery: options.checkpointEvery,
      checkpointSeconds: options.checkpointSeconds,
      onCheckpoint: callbacks.onCheckpoint,
      runEpoch,
      writeFiles: (rows) =>
        writeCsvAtomic(`${outDir}/epochs.csv`, TRAIN_EPOCH_COLUMNS, rows),
      onEpochEnd: callbacks.onEpochEnd,
    });
    const final = history.at(-1)!;
    return {
      testError: 1 - (final.test_acc ?? NaN),
      testImages: data.testImages,
      testTop5Error: 1 - (final.test_top5_acc ?? NaN),
      parameters: network.countParameters(),
      history,
      seconds: history.reduce((s, r) => s + r.seconds, 0),
    };
  } finally {
    sgd.dispose();
    network.dispose();
  }
}
