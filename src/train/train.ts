/**
 * Training a genotype from scratch, the reference's way (see train_config.ts), with
 * a per-epoch CSV log, an atomic checkpoint after every epoch and resume. The
 * reported error is the final epoch's test error, never the best epoch's.
 */
import * as tf from "../tf.ts";
import type { Genotype } from "../space/genotype.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { BatchLoader, NO_AUGMENTATION } from "../data/batches.ts";
import { classBalancedSubset, range } from "../data/splits.ts";
import { cropPaddingFor, withImageSide } from "../data/image_side.ts";
import {
  batchToTensors,
  correctCount,
  evaluateLoader,
} from "../data/batch_tensors.ts";
import { crossEntropy } from "../space/search_network.ts";
import type { BatchStatistics } from "../space/parameters.ts";
import { writeCsvAtomic } from "../io/csv_file.ts";
import { clipGradientNorm, Sgd } from "../run/optimizers.ts";
import type { CheckpointParts } from "../run/checkpoint.ts";
import { runEpochLoop } from "../run/epoch_loop.ts";
import { EvalNetwork } from "./eval_network.ts";
import { TRAIN_EPOCH_COLUMNS, type TrainEpochRow } from "./train_epoch_row.ts";
import type { TrainConfig } from "./train_config.ts";
import { throwOnBackendErrors } from "../backends/table.ts";

export type { TrainEpochRow };

/** What {@linkcode runTraining} needs. */
export interface TrainOptions {
  /** Resolved configuration. */
  config: TrainConfig;
  /** The genotype to train. */
  genotype: Genotype;
  /** Training images. */
  trainData: ImageDataset;
  /** Test images. */
  testData: ImageDataset;
  /** Run folder. */
  outDir: string;
  /** Continue from the checkpoint in `outDir`. */
  resume?: boolean;
  /** Progress reports. */
  callbacks?: {
    onEpochStart?(epoch: number, epochs: number, steps: number): void;
    onStep?(
      s: { step: number; steps: number; loss: number; accuracy: number },
    ): void;
    onEpochEnd?(row: TrainEpochRow): void;
  };
}

/** The outcome of a training run. */
export interface TrainResult {
  /** Final-epoch test error (1 − accuracy). */
  testError: number;
  /** Test images evaluated. */
  testImages: number;
  /** Parameters without the auxiliary head. */
  parameters: number;
  /** Per-epoch rows. */
  history: TrainEpochRow[];
  /** Wall seconds of all epochs. */
  seconds: number;
}

/** Test loss and accuracy in evaluation mode. */
export function evaluateClassifier(
  network: EvalNetwork,
  loader: BatchLoader,
): Promise<{ loss: number; accuracy: number }> {
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
  trainData: ImageDataset,
): EvalNetwork {
  return new EvalNetwork({
    genotype,
    channels: config.channels,
    layers: config.layers,
    numClasses: trainData.numClasses,
    auxiliary: config.auxiliary,
    seed: config.seed,
    inputChannels: trainData.channels,
  });
}

/** Trains (or resumes training) and writes the run folder. */
export async function runTraining(options: TrainOptions): Promise<TrainResult> {
  const { config, outDir, callbacks = {} } = options;
  const trainData = withImageSide(options.trainData, config.imageSide);
  const testData = withImageSide(options.testData, config.imageSide);
  await Deno.mkdir(outDir, { recursive: true });
  const trainLoader = trainingLoader(config, trainData);
  const testIndices = range(
    config.testSubset === null
      ? testData.count
      : Math.min(config.testSubset, testData.count),
  );
  const testLoader = new BatchLoader(testData, testIndices, {
    // The training batch size: evaluating in batches of 256 aborted the wasm
    // backend at the end of a C=16/8-layer run (most likely its heap limit).
    batchSize: config.batchSize,
    seed: 0,
    augment: NO_AUGMENTATION,
    shuffle: false,
  });
  const network = initialNetwork(config, options.genotype, trainData);
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
    let last = { loss: NaN, accuracy: NaN };
    const runEpoch = async (
      epoch: number,
      lr: number,
    ): Promise<TrainEpochRow> => {
      const started = performance.now();
      const dropPathProbability = (config.dropPath * epoch) / config.epochs;
      const steps = trainLoader.batchesPerEpoch();
      callbacks.onEpochStart?.(epoch, config.epochs, steps);
      let lossSum = 0;
      let correct = 0;
      let seen = 0;
      for (let step = 0; step < steps; step++) {
        const batch = batchToTensors(trainLoader.batch(epoch, step));
        const statistics: BatchStatistics[] = [];
        let logits: tf.Tensor2D | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const out = network.forward(batch.images, {
            training: true,
            batchStatistics: statistics,
            dropPathProbability,
          });
          logits = tf.keep(out.logits);
          const main = crossEntropy(out.logits, batch.labels);
          return (out.auxiliary
            ? tf.add(
              main,
              tf.mul(
                crossEntropy(out.auxiliary, batch.labels),
                config.auxiliaryWeight,
              ),
            )
            : main) as tf.Scalar;
        }, network.weightVariables());
        network.weights.updateRunningStatistics(statistics);
        const loss = (await value.data())[0];
        throwOnBackendErrors(`epoch ${epoch}, step ${step}`);
        if (!Number.isFinite(loss)) {
          tf.dispose([
            value,
            logits!,
            batch.images,
            batch.labels,
            ...Object.values(grads),
          ]);
          throw new Error(
            `training loss is ${loss} at epoch ${epoch}, step ${step}; the last good checkpoint stays in ${checkpointPath}`,
          );
        }
        await clipGradientNorm(grads, config.gradientClip);
        sgd.step(grads, lr);
        const hits = await correctCount(logits!, batch.labels);
        tf.dispose([
          value,
          logits!,
          batch.images,
          batch.labels,
          ...Object.values(grads),
        ]);
        lossSum += loss * batch.labels.shape[0];
        correct += hits;
        seen += batch.labels.shape[0];
        callbacks.onStep?.({
          step,
          steps,
          loss,
          accuracy: hits / batch.labels.shape[0],
        });
      }
      const evaluateNow = epoch === config.epochs - 1 ||
        (config.evalEvery > 0 && (epoch + 1) % config.evalEvery === 0);
      if (evaluateNow) last = await evaluateClassifier(network, testLoader);
      return {
        epoch,
        lr,
        drop_path: dropPathProbability,
        train_loss: lossSum / seen,
        train_acc: correct / seen,
        test_loss: evaluateNow ? last.loss : null,
        test_acc: evaluateNow ? last.accuracy : null,
        seconds: (performance.now() - started) / 1000,
      };
    };
    const history = await runEpochLoop<TrainEpochRow>({
      epochs: config.epochs,
      learningRate: {
        initial: config.learningRate,
        final: config.learningRateMin,
      },
      checkpointPath,
      parts,
      resume: Boolean(options.resume),
      runEpoch,
      writeFiles: (rows) =>
        writeCsvAtomic(`${outDir}/epochs.csv`, TRAIN_EPOCH_COLUMNS, rows),
      onEpochEnd: callbacks.onEpochEnd,
    });
    const final = history.at(-1)!;
    return {
      testError: 1 - (final.test_acc ?? NaN),
      testImages: testIndices.length,
      parameters: network.countParameters(),
      history,
      seconds: history.reduce((s, r) => s + r.seconds, 0),
    };
  } finally {
    sgd.dispose();
    network.dispose();
  }
}
