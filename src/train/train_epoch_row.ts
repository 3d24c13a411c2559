/** One line of a training run's `epochs.csv`. */
export interface TrainEpochRow {
  /** Epoch, 0-based. */
  epoch: number;
  /** Learning rate. */
  lr: number;
  /** Drop-path probability of the epoch. */
  drop_path: number;
  /** Mean training loss (main + auxiliary). */
  train_loss: number;
  /** Training accuracy of the main head. */
  train_acc: number;
  /** Test loss (null when not evaluated). */
  test_loss: number | null;
  /** Test accuracy. */
  test_acc: number | null;
  /** Test top-5 accuracy (absent in rows written before it existed). */
  test_top5_acc?: number | null;
  /** Wall seconds. */
  seconds: number;
}

/** Column order of a training run's `epochs.csv`. */
export const TRAIN_EPOCH_COLUMNS: (keyof TrainEpochRow)[] = [
  "epoch",
  "lr",
  "drop_path",
  "train_loss",
  "train_acc",
  "test_loss",
  "test_acc",
  "test_top5_acc",
  "seconds",
];
