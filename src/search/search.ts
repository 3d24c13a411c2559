/**
 * The search loop of PC-DARTS and DARTS. Each epoch: the cosine learning rate;
 * for every weight batch, an architecture step on a validation batch (after the
 * warm-up epochs), then a weight step (SGD, gradient norm clipped). After each
 * epoch: optional evaluation, the genotype, a checkpoint, the CSV log. A run
 * resumes from its last checkpoint and then produces exactly the rows an
 * uninterrupted run would (timings aside).
 */
import * as tf from "../tf.ts";
import { profileKernels } from "../run/kernel_profile.ts";
import {
  type ArchitectureValues,
  formatGenotype,
  type Genotype,
  parseGenotype,
} from "../space/genotype.ts";
import { type ImageDataset } from "../data/dataset.ts";
import { cropPaddingFor, withImageSide } from "../data/image_side.ts";
import {
  BatchLoader,
  type BatchSource,
  NO_AUGMENTATION,
  SEARCH_AUGMENTATION,
} from "../data/batches.ts";
import {
  classBalancedSubset,
  range,
  splitTrainValidation,
} from "../data/splits.ts";
import { crossEntropy, SearchNetwork } from "../space/search_network.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { encodeSafetensors } from "../io/safetensors.ts";
import { Adam, Sgd } from "../optim/optimizers.ts";
import {
  type DataShape,
  type DeriveContext,
  type SearchMethod,
  searchMethod,
} from "./search_methods.ts";
import {
  type EpochContext,
  type EpochTally,
  evaluatesAfter,
  runEpochLoop,
  runEpochSteps,
  type StepOutcome,
} from "../run/epoch_loop.ts";
import type { PartialEpoch } from "../run/checkpoint.ts";
import {
  ARCHITECTURE_WEIGHT_COLUMNS,
  architectureEntropies,
  type ArchitectureWeightRow,
  architectureWeightRows,
  changedPicks,
} from "./architecture_trace.ts";
import { parse as parseCsv } from "csv-parse/sync";
import { runEnvironment } from "../run/environment.ts";
import { warmCosineLearningRate } from "../optim/schedule.ts";
import {
  batchToTensors,
  correctCount,
  evaluateLoader,
  type TensorBatch,
} from "../data/batch_tensors.ts";
import { writeCsvAtomic } from "../io/csv_file.ts";
import { type BufferMeter, startBufferMeter } from "../run/buffer_meter.ts";
import type { SearchConfig } from "./search_config.ts";
import { EPOCH_COLUMNS, type EpochRow } from "./epoch_row.ts";

/** Progress reports. */
export interface SearchCallbacks {
  /** An epoch begins (at `startStep` when resumed inside it). */
  onEpochStart?(
    epoch: number,
    epochs: number,
    steps: number,
    startStep: number,
  ): void;
  /** A step ended (loss and accuracy of its weight step). */
  onStep?(
    info: {
      epoch: number;
      step: number;
      steps: number;
      loss: number;
      accuracy: number;
    },
  ): void;
  /** An epoch ended. */
  onEpochEnd?(row: EpochRow): void;
  /** A checkpoint was written inside an epoch. */
  onCheckpoint?(partial: PartialEpoch): void;
}

/** The batches a search reads, and the shape of its data. */
export interface SearchData {
  /** Classes and input channels. */
  shape: DataShape;
  /** The weight steps' batches. */
  weights: BatchSource;
  /** The architecture steps' batches. */
  architecture: BatchSource;
  /** The held-out batches evaluated without augmentation. */
  evaluation: BatchSource;
}

/**
 * An in-memory data set's search batches: its training images split by
 * `trainPortion` (after `subset`), augmented with a crop and a flip.
 */
export function inMemorySearchData(
  config: SearchConfig,
  images: ImageDataset,
): SearchData {
  const trainData = withImageSide(images, config.imageSide);
  const augment = {
    ...SEARCH_AUGMENTATION,
    cropPadding: cropPaddingFor(trainData.height),
  };
  const { train, validation } = searchSplits(config, trainData);
  return {
    shape: trainData,
    weights: new BatchLoader(trainData, train, {
      batchSize: config.batchSize,
      seed: config.seed,
      augment,
      stream: 0,
    }),
    architecture: new BatchLoader(trainData, validation, {
      batchSize: config.batchSize,
      seed: config.seed,
      augment,
      stream: 1,
    }),
    evaluation: new BatchLoader(trainData, validation, {
      batchSize: config.batchSize,
      seed: config.seed,
      augment: NO_AUGMENTATION,
      shuffle: false,
    }),
  };
}

/** What {@linkcode runSearch} needs. */
export interface SearchOptions {
  /** The resolved configuration. */
  config: SearchConfig;
  /**
   * The training images of an in-memory data set (the test set is never used
   * here); or, instead, `data`.
   */
  trainData?: ImageDataset;
  /** The batches to search on, where they are not an in-memory data set's. */
  data?: SearchData;
  /** The run folder. */
  outDir: string;
  /** Continue from `outDir/checkpoint.safetensors`. */
  resume?: boolean;
  /** Progress reports. */
  callbacks?: SearchCallbacks;
  /** Checkpoint inside an epoch every this many steps (absent or 0: by time alone). */
  checkpointEvery?: number;
  /**
   * Checkpoint inside an epoch after this many seconds of work since the last
   * checkpoint (default 600; 0: by steps alone).
   */
  checkpointSeconds?: number;
  /**
   * The code's version for each row's `git_commit` (default: this
   * repository's commit, `+dirty` with uncommitted changes).
   */
  codeVersion?: string;
}

/** The outcome of a search. */
export interface SearchResult {
  /** The final genotype. */
  genotype: Genotype;
  /** One row per epoch. */
  history: EpochRow[];
  /** Search wall seconds, summed over a resumed run's parts. */
  seconds: number;
  /** CPU seconds of the process over the same epochs (NaN where an epoch lacks them). */
  cpuSeconds: number;
  /** Largest peak tensor bytes of any epoch. */
  peakTensorBytes: number;
  /** Largest peak buffer bytes of any epoch (each buffer once). */
  peakBufferBytes: number;
}

export { NonFiniteLossError } from "./search_step.ts";

/** The file names inside a run folder. */
export const RUN_FILES = {
  config: "config.json",
  epochs: "epochs.csv",
  genotype: "genotype.json",
  architecture: "architecture.safetensors",
  checkpoint: "checkpoint.safetensors",
  architectureWeights: "architecture_weights.csv",
} as const;

/** The commit of this repository's code, `+dirty` with uncommitted changes. */
export async function codeVersion(): Promise<string> {
  const env = await runEnvironment();
  return env.gitCommit + (env.gitDirty ? "+dirty" : "");
}

/** The architecture parameters' values, read from the network. */
async function architectureValues(
  network: SearchNetwork,
): Promise<ArchitectureValues> {
  const arch = network.architecture;
  const read = async (v?: tf.Variable) => (v ? await v.data() : null);
  return {
    alphasNormal: (await read(arch.alphasNormal))!,
    alphasReduce: (await read(arch.alphasReduce))!,
    betasNormal: await read(arch.betasNormal),
    betasReduce: await read(arch.betasReduce),
  };
}

/**
 * `rows` appended to the run's `architecture_weights.csv`, replacing any rows
 * of the same or later epochs (left by an interrupted run).
 */
async function writeArchitectureWeights(
  path: string,
  rows: ArchitectureWeightRow[],
): Promise<void> {
  const epoch = rows[0]?.epoch ?? Infinity;
  let kept: Record<string, string>[] = [];
  try {
    kept = (parseCsv(await Deno.readTextFile(path), {
      columns: true,
    }) as Record<string, string>[]).filter((r) => Number(r.epoch) < epoch);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await writeCsvAtomic(
    path,
    ARCHITECTURE_WEIGHT_COLUMNS,
    [...kept, ...rows] as unknown as ArchitectureWeightRow[],
  );
}

/** Loss and accuracy in evaluation mode (BatchNorm running statistics). */
export function evaluate(
  network: SearchNetwork,
  loader: BatchSource,
): Promise<{ loss: number; accuracy: number }> {
  return evaluateLoader(
    loader,
    (images) => network.forward(images, { training: false }),
    crossEntropy,
  );
}

/** The weight and architecture index sets of a configuration. */
export function searchSplits(config: SearchConfig, data: ImageDataset) {
  const pool = config.subset === null
    ? range(data.count)
    : classBalancedSubset(data.labels, data.numClasses, config.subset);
  return splitTrainValidation(pool, config.trainPortion);
}

/** The weight (SGD) and architecture (Adam) optimizers of a search. */
export function searchOptimizers(
  network: SearchNetwork,
  config: Pick<
    SearchConfig,
    "momentum" | "weightDecay" | "archBeta1" | "archBeta2" | "archWeightDecay"
  >,
): { sgd: Sgd; adam: Adam } {
  return {
    sgd: new Sgd(network.weightVariables(), {
      momentum: config.momentum,
      weightDecay: config.weightDecay,
    }),
    adam: new Adam(network.architectureVariables(), {
      beta1: config.archBeta1,
      beta2: config.archBeta2,
      weightDecay: config.archWeightDecay,
    }),
  };
}

export { buildSearchNetwork } from "./differentiable_method.ts";

async function writeRunFiles(
  outDir: string,
  network: SearchNetwork,
  history: EpochRow[],
  genotype: Genotype,
  weightRows: ArchitectureWeightRow[],
) {
  await writeArchitectureWeights(
    `${outDir}/${RUN_FILES.architectureWeights}`,
    weightRows,
  );
  await writeCsvAtomic(`${outDir}/${RUN_FILES.epochs}`, EPOCH_COLUMNS, history);
  await writeFileAtomic(
    `${outDir}/${RUN_FILES.genotype}`,
    formatGenotype(genotype) + "\n",
  );
  const arch = new Map();
  for (const p of network.architectureStore.entries.values()) {
    arch.set(p.name, {
      shape: p.variable.shape,
      data: await p.variable.data(),
    });
  }
  await writeFileAtomic(
    `${outDir}/${RUN_FILES.architecture}`,
    encodeSafetensors(arch, {}),
  );
}

/** What a search's steps and rows work on. */
interface SearchRun {
  config: SearchConfig;
  method: SearchMethod;
  network: SearchNetwork;
  sgd: Sgd;
  adam: Adam;
  meter: BufferMeter;
  data: SearchData;
}

/**
 * One search step: a weight batch, and an architecture batch once the warm-up
 * is over, through the method's step; the epoch's peaks come from its first.
 */
async function searchStep(
  run: SearchRun,
  at: {
    epoch: number;
    step: number;
    first: boolean;
    lr: number;
    searching: boolean;
  },
): Promise<StepOutcome> {
  const { config, method, network, data } = run;
  const { epoch, step, lr } = at;
  const weightBatch = batchToTensors(await data.weights.batch(epoch, step));
  const archBatch = at.searching
    ? batchToTensors(
      await data.architecture.batch(
        epoch,
        step % data.architecture.batchesPerEpoch(),
      ),
    )
    : null;
  const extra: Record<string, number> = {};
  let loss = 0;
  let hits = 0;
  const doStep = async () => {
    const result = await method.step({
      step: {
        network,
        adam: run.adam,
        sgd: run.sgd,
        archLearningRate: config.archLearningRate,
        weightLearningRate: lr,
        gradientClip: config.gradientClip,
      },
      batches: { architecture: archBatch, weights: weightBatch },
      where: `epoch ${epoch}, step ${step}`,
      keepLogits: true,
      at: { epoch, step, seed: config.seed },
    });
    if (result.architectureLoss !== null) {
      extra.archLossSum = result.architectureLoss;
      extra.archSteps = 1;
    }
    loss = result.loss;
    try {
      hits = await correctCount(result.logits!, weightBatch.labels);
    } finally {
      result.logits!.dispose();
    }
  };
  try {
    if (at.first) {
      run.meter.resetPeak();
      extra.peakBytes = (await profileKernels(doStep)).peakBytes;
      extra.peakBufferBytes = run.meter.peakBytes;
    } else await doStep();
  } finally {
    tf.dispose([weightBatch.images, weightBatch.labels]);
    if (archBatch) tf.dispose([archBatch.images, archBatch.labels]);
  }
  return { loss, hits, size: weightBatch.labels.shape[0], extra };
}

/**
 * An epoch's row from its sums and its derived cell, and the architecture's
 * weights after it: evaluation where due, entropies, the picks that changed.
 */
async function epochRow(
  run: SearchRun,
  e: {
    epoch: number;
    lr: number;
    done: EpochTally;
    genotype: Genotype;
    previous: Genotype | null;
    commit: string;
  },
): Promise<{ row: EpochRow; weightRows: ArchitectureWeightRow[] }> {
  const { config, network } = run;
  const { epoch, done } = e;
  const valid = evaluatesAfter(epoch, config.epochs, config.evalEvery)
    ? await evaluate(network, run.data.evaluation)
    : null;
  const arch = await architectureValues(network);
  const entropies = architectureEntropies(arch, network.config.steps);
  const archSteps = done.archSteps ?? 0;
  return {
    weightRows: architectureWeightRows(epoch, arch, network.config.steps),
    row: {
      epoch,
      lr: e.lr,
      train_loss: done.lossSum / done.seen,
      train_acc: done.correct / done.seen,
      // Null for an epoch without architecture steps (warm-up, or a method
      // that takes none).
      arch_loss: archSteps > 0 ? done.archLossSum / archSteps : null,
      valid_loss: valid?.loss ?? null,
      valid_acc: valid?.accuracy ?? null,
      seconds: done.seconds,
      cpu_seconds: done.cpuSeconds,
      peak_tensor_bytes: done.peakBytes ?? 0,
      peak_buffer_bytes: done.peakBufferBytes ?? 0,
      rss_bytes: Deno.memoryUsage().rss,
      op_entropy: entropies.op_entropy,
      edge_entropy: entropies.edge_entropy,
      picks_changed: e.previous === null
        ? null
        : changedPicks(e.previous, e.genotype),
      git_commit: e.commit,
      genotype: formatGenotype(e.genotype),
    },
  };
}

/** What deriving a cell may read: the epoch, the seed, validation batches. */
function derivingContext(run: SearchRun, epoch: number): DeriveContext {
  const evaluation = run.data.evaluation;
  return {
    epoch,
    seed: run.config.seed,
    validationBatches: async (count) => {
      const batches: TensorBatch[] = [];
      for (let i = 0; i < Math.min(count, evaluation.batchesPerEpoch()); i++) {
        batches.push(batchToTensors(await evaluation.batch(0, i)));
      }
      return batches;
    },
  };
}

/**
 * The weight learning rate per epoch: cosine from the initial rate to the
 * minimum; ImageNet's search warms up at large batches, as the reference's.
 */
function searchLearningRate(
  config: SearchConfig,
): ((epoch: number) => number) | { initial: number; final: number } {
  return config.dataset === "imagenet"
    ? (epoch) =>
      warmCosineLearningRate(
        epoch,
        config.epochs,
        config.learningRate,
        config.learningRateMin,
        config.batchSize,
      )
    : { initial: config.learningRate, final: config.learningRateMin };
}

/** A finished search's result from its rows and its final cell. */
function searchResult(genotype: Genotype, history: EpochRow[]): SearchResult {
  return {
    genotype,
    history,
    seconds: history.reduce((s, r) => s + r.seconds, 0),
    // NaN where an epoch was written before CPU seconds were recorded.
    cpuSeconds: history.reduce((s, r) => s + (r.cpu_seconds ?? NaN), 0),
    peakTensorBytes: Math.max(0, ...history.map((r) => r.peak_tensor_bytes)),
    peakBufferBytes: Math.max(
      0,
      ...history.map((r) => r.peak_buffer_bytes ?? 0),
    ),
  };
}

/** Runs (or resumes) a search and writes the run folder. */
export async function runSearch(options: SearchOptions): Promise<SearchResult> {
  const { config, outDir, callbacks = {} } = options;
  if (!options.data && !options.trainData) {
    throw new Error("runSearch needs trainData or data");
  }
  const data = options.data ??
    inMemorySearchData(config, options.trainData!);
  await Deno.mkdir(outDir, { recursive: true });
  // Started before the network exists, so that its weights and the
  // optimizers' state count in each epoch's buffer peak. It runs through the
  // search, since tfjs' buffer table cannot be read back at a later step;
  // its hooks cost a fraction of a microsecond a tensor.
  const meter = startBufferMeter();
  const method = searchMethod(config.method);
  const commit = options.codeVersion ?? await codeVersion();
  let network: SearchNetwork;
  let sgd: Sgd;
  let adam: Adam;
  try {
    network = method.buildSpace(config, data.shape);
    ({ sgd, adam } = searchOptimizers(network, config));
  } catch (error) {
    meter.stop();
    throw error;
  }
  const run: SearchRun = {
    config,
    method,
    network,
    sgd,
    adam,
    meter,
    data,
  };
  const parts = {
    stores: [
      { prefix: "weight", store: network.weights },
      { prefix: "arch", store: network.architectureStore },
    ],
    sgd,
    adam,
    randoms: [network.random],
  };
  const deriveContext = (epoch: number) => derivingContext(run, epoch);
  try {
    // Each epoch derives the cell for its row and the run files.
    let genotype: Genotype | null = null;
    let previous: Genotype | null = null;
    let weightRows: ArchitectureWeightRow[] = [];
    const runEpoch = async (
      epoch: number,
      lr: number,
      context: EpochContext<EpochRow>,
    ): Promise<EpochRow> => {
      const steps = data.weights.batchesPerEpoch();
      const searching = epoch >= config.warmupEpochs;
      const last = context.history.at(-1);
      if (previous === null && last !== undefined) {
        previous = parseGenotype(last.genotype, RUN_FILES.epochs);
      }
      callbacks.onEpochStart?.(epoch, config.epochs, steps, context.startStep);
      const done = await runEpochSteps({
        epoch,
        steps,
        context,
        onStep: callbacks.onStep,
        step: (step, first) =>
          searchStep(run, { epoch, step, first, lr, searching }),
      });
      genotype = await method.deriveGenotype(network, deriveContext(epoch));
      const row = await epochRow(run, {
        epoch,
        lr,
        done,
        genotype,
        previous,
        commit,
      });
      previous = genotype;
      weightRows = row.weightRows;
      return row.row;
    };
    const history = await runEpochLoop<EpochRow>({
      epochs: config.epochs,
      learningRate: searchLearningRate(config),
      checkpointPath: `${outDir}/${RUN_FILES.checkpoint}`,
      parts,
      resume: Boolean(options.resume),
      checkpointEvery: options.checkpointEvery,
      checkpointSeconds: options.checkpointSeconds,
      runEpoch,
      writeFiles: (rows) =>
        writeRunFiles(outDir, network, rows, genotype!, weightRows),
      onEpochEnd: callbacks.onEpochEnd,
      onCheckpoint: callbacks.onCheckpoint,
    });
    // The final cell, also for a resumed run with no epoch left to run.
    const final = await method.deriveGenotype(
      network,
      deriveContext(config.epochs - 1),
    );
    return searchResult(final, history);
  } finally {
    meter.stop();
    sgd.dispose();
    adam.dispose();
    network.dispose();
  }
}
