/**
 * The one epoch loop of searches and trainings: resume from the checkpoint,
 * run each remaining epoch, then checkpoint atomically and write the run's
 * files before reporting the epoch. Inside an epoch the run checkpoints too,
 * every `checkpointEvery` steps or once `checkpointSeconds` of work have
 * passed since the last one, with the epoch's running sums. An interrupted
 * run therefore restarts at the first step whose checkpoint was not written,
 * with the same state, and builds the same rows.
 */
import {
  type CheckpointParts,
  loadCheckpoint,
  type PartialEpoch,
  saveCheckpoint,
} from "./checkpoint.ts";
import { cosineLearningRate } from "../optim/schedule.ts";
import { processCpuSeconds } from "./cpu_seconds.ts";

/** Work between two checkpoints, by default: ten minutes. */
export const DEFAULT_CHECKPOINT_SECONDS = 600;

/** What an epoch gets from the loop besides its number and learning rate. */
export interface EpochContext<Row = unknown> {
  /** The rows of the epochs before this one. */
  history: readonly Row[];
  /** The first step to run: 0, or where a checkpoint inside the epoch left off. */
  startStep: number;
  /** The epoch's sums over the steps before `startStep` (null when it is 0). */
  tally: Record<string, number> | null;
  /**
   * Call after each step with the steps done and the epoch's sums so far; it
   * checkpoints when one is due (never after the epoch's last step, whose
   * checkpoint the loop writes with the row).
   */
  afterStep(
    stepsDone: number,
    steps: number,
    tally: () => Record<string, number>,
  ): Promise<void>;
}

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
  /** Checkpoint inside an epoch every this many steps (0 or absent: by time alone). */
  checkpointEvery?: number;
  /**
   * Checkpoint inside an epoch once this many seconds of work have passed
   * since the last checkpoint (default {@linkcode DEFAULT_CHECKPOINT_SECONDS};
   * 0: by steps alone).
   */
  checkpointSeconds?: number;
  /** Runs epoch `epoch` at learning rate `lr` and returns its row. */
  runEpoch(epoch: number, lr: number, context: EpochContext<Row>): Promise<Row>;
  /** Writes the run's files after the checkpoint (CSV, genotype...). */
  writeFiles(history: Row[]): Promise<void>;
  /** Reports an epoch, after everything about it is written. */
  onEpochEnd?(row: Row): void;
  /** Reports a checkpoint taken inside an epoch. */
  onCheckpoint?(partial: PartialEpoch): void;
}

/** Runs (or resumes) the loop; returns every epoch's row. */
export async function runEpochLoop<Row>(loop: EpochLoop<Row>): Promise<Row[]> {
  let history: Row[] = [];
  let start = 0;
  let partial: PartialEpoch | undefined;
  if (loop.resume) {
    const state = await loadCheckpoint<Row>(loop.checkpointPath, loop.parts);
    history = state.history;
    start = state.epoch + 1;
    partial = state.partial;
    if (partial !== undefined && partial.epoch !== start) {
      throw new Error(
        `${loop.checkpointPath} is damaged: its partial epoch ${partial.epoch} does not follow its last complete epoch ${state.epoch}`,
      );
    }
  }
  const every = loop.checkpointEvery ?? 0;
  const seconds = loop.checkpointSeconds ?? DEFAULT_CHECKPOINT_SECONDS;
  if (!Number.isInteger(every) || every < 0) {
    throw new Error(
      `checkpoint every ${every} steps: give a whole number of steps (0: by time alone)`,
    );
  }
  let lastCheckpoint = performance.now();
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
    const resumed = partial?.epoch === epoch ? partial : undefined;
    const context: EpochContext<Row> = {
      history,
      startStep: resumed?.step ?? 0,
      tally: resumed?.tally ?? null,
      afterStep: async (stepsDone, steps, tally) => {
        if (stepsDone >= steps) return;
        const byStep = every > 0 && stepsDone % every === 0;
        const byTime = seconds > 0 &&
          (performance.now() - lastCheckpoint) / 1000 >= seconds;
        if (!byStep && !byTime) return;
        const inside: PartialEpoch = {
          epoch,
          step: stepsDone,
          tally: tally(),
        };
        await saveCheckpoint(loop.checkpointPath, loop.parts, {
          epoch: epoch - 1,
          history,
          partial: inside,
        });
        lastCheckpoint = performance.now();
        loop.onCheckpoint?.(inside);
      },
    };
    const row = await loop.runEpoch(epoch, lr, context);
    history.push(row);
    await saveCheckpoint(loop.checkpointPath, loop.parts, { epoch, history });
    lastCheckpoint = performance.now();
    await loop.writeFiles(history);
    loop.onEpochEnd?.(row);
  }
  return history;
}

/** What one step gives its epoch's sums. */
export interface StepOutcome {
  /** The step's mean loss. */
  loss: number;
  /** Correct predictions among its images. */
  hits: number;
  /** Its images. */
  size: number;
  /** Further sums the epoch keeps (an architecture loss, a peak...). */
  extra?: Record<string, number>;
}

/** An epoch's sums: the standard ones and a run's own (`extra`'s keys). */
export type EpochTally = Record<string, number> & {
  /** Sum of step loss times step images. */
  lossSum: number;
  /** Correct predictions. */
  correct: number;
  /** Images. */
  seen: number;
  /** Wall seconds, over every part of a resumed epoch. */
  seconds: number;
  /** CPU seconds of the process, likewise. */
  cpuSeconds: number;
};

/**
 * The steps of one epoch, from where its context starts (a checkpoint inside
 * it, or 0): runs `step(i)` for each, keeps the epoch's sums, reports each
 * step and lets the loop checkpoint after it. `step` is told whether it is
 * the first step of an epoch that did not resume inside (where a run
 * profiles). Search and training share it.
 */
export async function runEpochSteps(options: {
  epoch: number;
  steps: number;
  context: EpochContext<unknown>;
  step(index: number, first: boolean): Promise<StepOutcome>;
  onStep?(info: {
    epoch: number;
    step: number;
    steps: number;
    loss: number;
    accuracy: number;
  }): void;
}): Promise<EpochTally> {
  const { epoch, steps, context } = options;
  const started = performance.now();
  const cpuStarted = processCpuSeconds();
  const tally: EpochTally = {
    lossSum: 0,
    correct: 0,
    seen: 0,
    seconds: 0,
    cpuSeconds: 0,
    ...context.tally,
  };
  const now = (): EpochTally => ({
    ...tally,
    seconds: tally.seconds + (performance.now() - started) / 1000,
    cpuSeconds: tally.cpuSeconds + processCpuSeconds() - cpuStarted,
  });
  for (let step = context.startStep; step < steps; step++) {
    const first = step === context.startStep && context.tally === null;
    const outcome = await options.step(step, first);
    tally.lossSum += outcome.loss * outcome.size;
    tally.correct += outcome.hits;
    tally.seen += outcome.size;
    for (const [key, value] of Object.entries(outcome.extra ?? {})) {
      tally[key] = (tally[key] ?? 0) + value;
    }
    options.onStep?.({
      epoch,
      step,
      steps,
      loss: outcome.loss,
      accuracy: outcome.hits / outcome.size,
    });
    await context.afterStep(step + 1, steps, now);
  }
  return now();
}

/** Whether epoch `epoch` of `epochs` is evaluated: every `every` epochs, and the last. */
export function evaluatesAfter(
  epoch: number,
  epochs: number,
  every: number,
): boolean {
  return epoch === epochs - 1 || (every > 0 && (epoch + 1) % every === 0);
}
