/**
 * The one epoch loop of searches and trainings: resume from the checkpoint,
 * run each remaining epoch, then checkpoint atomically and write the run's
 * files before reporting the epoch. An interrupted run therefore restarts at
 * the first epoch whose checkpoint was not written, with the same state.
 */
import {
  type CheckpointParts,
  loadCheckpoint,
  saveCheckpoint,
} from "./checkpoint.ts";
import { cosineLearningRate } from "./schedule.ts";

/** One run's epochs. */
export interface EpochLoop<Row> {
  /** Epochs in all. */
  epochs: number;
  /**
   * Learning rate at epoch 0 and the one the cosine schedule ends at; or the
   * learning rate of each epoch.
   */
  learningRate:
    | { initial: number; final: number }
    | ((epoch: number) => number);
  /** Where the checkpoint goes. */
  checkpointPath: string;
  /** What the checkpoint holds. */
  parts: CheckpointParts;
  /** Continue from the checkpoint. */
  resume: boolean;
  /** Runs epoch `epoch` at learning rate `lr` and returns its row. */
  runEpoch(epoch: number, lr: number): Promise<Row>;
  /** Writes the run's files after the checkpoint (CSV, genotype...). */
  writeFiles(history: Row[]): Promise<void>;
  /** Reports an epoch, after everything about it is written. */
  onEpochEnd?(row: Row): void;
}

/** Runs (or resumes) the loop; returns every epoch's row. */
export async function runEpochLoop<Row>(loop: EpochLoop<Row>): Promise<Row[]> {
  let history: Row[] = [];
  let start = 0;
  if (loop.resume) {
    const state = await loadCheckpoint<Row>(loop.checkpointPath, loop.parts);
    history = state.history;
    start = state.epoch + 1;
  }
  for (let epoch = start; epoch < loop.epochs; epoch++) {
    const schedule = loop.learningRate;
    const lr = typeof schedule === "function"
      ? schedule(epoch)
      : cosineLearningRate(
        epoch,
        loop.epochs,
        schedule.initial,
        schedule.final,
      );
    const row = await loop.runEpoch(epoch, lr);
    history.push(row);
    await saveCheckpoint(loop.checkpointPath, loop.parts, { epoch, history });
    await loop.writeFiles(history);
    loop.onEpochEnd?.(row);
  }
  return history;
}
