/**
 * A training run's batches on ImageNet: ILSVRC-2012's training images with
 * the training transform, its validation images with the validation
 * transform, decoded from their files as the steps ask for them.
 */
import { readImageNet } from "../data/imagenet/image_folder.ts";
import { ImageNetBatches } from "../data/imagenet/imagenet_batches.ts";
import type { TrainConfig } from "./train_config.ts";
import type { TrainData } from "./train.ts";

/** ImageNet training batches, and the sources to close and report on. */
export interface ImageNetTrainData extends TrainData {
  /** Files left out because they did not decode, by path. */
  skipped(): string[];
  /** Frees the decoders. */
  close(): void;
}

/** The batches of a training run on the tree at `root`. */
export function imageNetTrainData(
  config: TrainConfig,
  root: string,
  warn?: (line: string) => void,
): ImageNetTrainData {
  const { train, val } = readImageNet(root);
  const side = config.imageSide ?? 224;
  const trainSource = new ImageNetBatches(root, train.images, {
    batchSize: config.batchSize,
    seed: config.seed,
    stream: 0,
    augment: true,
    side,
    warn,
  });
  const testSource = new ImageNetBatches(root, val.images, {
    batchSize: config.batchSize,
    seed: 0,
    stream: 1,
    augment: false,
    shuffle: false,
    side,
    warn,
  });
  return {
    shape: { numClasses: train.classes.length, channels: 3 },
    train: trainSource,
    test: testSource,
    testImages: val.images.length,
    skipped: () => [
      ...new Set([...trainSource.skipped, ...testSource.skipped]),
    ],
    close: () => {
      trainSource.close();
      testSource.close();
    },
  };
}
