/** One line of a search's `epochs.csv`. */
export interface EpochRow {
  /** Epoch, 0-based. */
  epoch: number;
  /** Weight learning rate of the epoch. */
  lr: number;
  /** Mean training loss of the weight steps. */
  train_loss: number;
  /** Training accuracy (top-1, augmented batches) of the weight steps. */
  train_acc: number;
  /** Mean validation loss seen by the architecture steps (null during warm-up). */
  arch_loss: number | null;
  /** Validation loss in evaluation mode (null when not evaluated this epoch). */
  valid_loss: number | null;
  /** Validation accuracy in evaluation mode. */
  valid_acc: number | null;
  /** Wall seconds of the epoch. */
  seconds: number;
  /** CPU seconds of the process's threads during the epoch (`cpu_seconds.ts`; absent in rows written before it existed). */
  cpu_seconds?: number;
  /** Peak live tensor bytes during the epoch's first step (tf.profile; views and saved clones count again). */
  peak_tensor_bytes: number;
  /** Peak bytes of live buffers during the same step, each buffer once (`buffer_meter.ts`; absent in rows written before it existed). */
  peak_buffer_bytes?: number;
  /** The process's resident memory at the epoch's end (absent in rows written before it existed). */
  rss_bytes?: number;
  /** Mean entropy (nats) of the edges' operation weights after the epoch, both cells. */
  op_entropy?: number;
  /** Mean entropy (nats) of the nodes' edge weights after the epoch (null without edge normalization). */
  edge_entropy?: number | null;
  /** The cell's (node, input, operation) picks that differ from the previous epoch's (of 16; null for the first epoch). */
  picks_changed?: number | null;
  /** The commit of the code that ran the epoch (`+dirty` with uncommitted changes; a resumed run can span commits). */
  git_commit?: string;
  /** The genotype after the epoch, as JSON. */
  genotype: string;
}

/** Column order of `epochs.csv`. */
export const EPOCH_COLUMNS: (keyof EpochRow)[] = [
  "epoch",
  "lr",
  "train_loss",
  "train_acc",
  "arch_loss",
  "valid_loss",
  "valid_acc",
  "seconds",
  "cpu_seconds",
  "peak_tensor_bytes",
  "peak_buffer_bytes",
  "rss_bytes",
  "op_entropy",
  "edge_entropy",
  "picks_changed",
  "git_commit",
  "genotype",
];

/** Columns that depend on the machine's speed, not on the computation. */
export const TIMING_COLUMNS: (keyof EpochRow)[] = ["seconds", "cpu_seconds"];

/**
 * Columns that depend on the process and the code's version rather than on
 * the computation: the timings, the resident memory and the commit.
 */
export const PROCESS_COLUMNS: (keyof EpochRow)[] = [
  ...TIMING_COLUMNS,
  "rss_bytes",
  "git_commit",
];
