/**
 * `deno task train --genotype NAME|FILE [--size paper|cpu|small|smoke] [flags]`:
 * trains a cell from scratch and reports the final-epoch test error on the
 * CIFAR-10 test set (the first `--test-subset N` images at the smoke size) and
 * the parameter count. `--count-params` prints the multiply-adds of one image
 * and `params: N` (auxiliary head excluded, as the papers count) and exits.
 * Names: PC_DARTS_cifar, PC_DARTS_image, DARTS_V1, DARTS_V2, random (seeded by
 * --seed), or a genotype.json written by a search.
 */
import {
  BACKEND_CHOICES_TEXT,
  DEFAULT_BACKEND,
  explainError,
} from "../backends/backend_table.ts";
import { numberFlag } from "./flags.ts";
import { type CommandSpec, parseCommand, usageOf } from "./command_spec.ts";
import { initBackend } from "../backends/init.ts";
import {
  datasetEntry,
  datasetNames,
  loadSplit,
} from "../data/dataset_registry.ts";
import {
  type Genotype,
  genotypeToReferenceText,
  parseGenotype,
} from "../space/genotype.ts";
import { BUILTIN_GENOTYPES, randomGenotype } from "../train/genotypes.ts";
import { evalNetworkCost } from "../train/network_cost.ts";
import {
  resolveTrainConfig,
  TRAIN_SIZES,
  type TrainConfig,
} from "../train/train_config.ts";
import {
  inMemoryTrainData,
  runTraining,
  type TrainData,
} from "../train/train.ts";
import { imageNetTrainData } from "../train/imagenet_train_data.ts";
import {
  byteSize,
  describeTrainMemory,
  fitTrainingStep,
} from "../train/train_memory.ts";
import { largerBackendAdvice } from "../backends/backend_table.ts";
import { EpochProgress, formatDuration } from "./progress.ts";
import {
  type CheckpointOptions,
  checkpointOptions,
  type OpenedRun,
  openRun,
  RUN_FLAGS,
  runStamp,
  startRunFolder,
} from "./run_folder.ts";
import type { TrainEpochRow } from "../train/train_epoch_row.ts";

/** The train command's flags. */
export const TRAIN_COMMAND = {
  name: "train",
  synopsis: ["--genotype NAME|FILE [options]", "--resume DIR [options]"],
  flags: {
    genotype: {
      type: "string",
      value: "NAME|FILE",
      help:
        "PC_DARTS_cifar, PC_DARTS_image, DARTS_V1, DARTS_V2, random, or a\ngenotype.json",
    },
    size: {
      type: "string",
      value: TRAIN_SIZES.join("|"),
      default: "paper",
      help: "how much compute",
    },
    dataset: {
      type: "string",
      value: datasetNames("train").join("|"),
      default: "cifar10",
      help:
        "imagenet: NetworkImageNet on ILSVRC-2012 (--data-dir is its root;\nthe paper and smoke sizes)",
    },
    "count-params": {
      type: "boolean",
      help:
        "print the multiply-adds of one image and params: N (auxiliary\nhead excluded) and exit",
    },
    backend: {
      type: "string",
      value: "NAME",
      default: DEFAULT_BACKEND,
      help: BACKEND_CHOICES_TEXT,
    },
    out: {
      type: "string",
      value: "DIR",
      help:
        "run folder (default results/runs/train-<name>-<size>-s<seed>-<time>)",
    },
    seed: {
      type: "string",
      value: "N",
      help: "seed (weights, order, augmentation; the random cell)",
    },
    lr: {
      type: "string",
      value: "X",
      help: "learning rate at epoch 0 (cosine to 0)",
    },
    "drop-path": {
      type: "string",
      value: "X",
      help: "final drop-path probability",
    },
    cutout: { type: "string", value: "N", help: "cutout square side (0: off)" },
    auxiliary: {
      type: "string",
      value: "true|false",
      help: "train the auxiliary head",
    },
    "test-subset": {
      type: "string",
      value: "N|all",
      help: "the first N test images",
    },
    "eval-every": {
      type: "string",
      value: "N",
      help: "test every N epochs (0: after the last)",
    },
    "recompute-cells": {
      type: "boolean",
      help:
        "recompute cell intermediates in the backward pass: the paper\nsize's step in about 1.4 GiB of tensors instead of 10, for\none more forward pass",
    },
    ...RUN_FLAGS,
  },
} as const satisfies CommandSpec;

const USAGE = usageOf(TRAIN_COMMAND);

type TrainFlagValues = Exclude<
  ReturnType<typeof parseCommand<typeof TRAIN_COMMAND>>,
  number
>["values"];

/** Resolves a built-in name or reads a genotype file. */
export async function loadGenotype(
  source: string,
  seed: number,
): Promise<Genotype> {
  if (source in BUILTIN_GENOTYPES) return BUILTIN_GENOTYPES[source];
  if (source === "random") return randomGenotype(seed);
  let text: string;
  try {
    text = await Deno.readTextFile(source);
  } catch {
    throw new Error(
      `"${source}" is neither a built-in genotype (${
        Object.keys(BUILTIN_GENOTYPES).join(", ")
      }, random) nor a readable genotype.json`,
    );
  }
  return parseGenotype(text, source);
}

/** The configuration of a new training run from its flags. */
function configFromFlags(
  v: TrainFlagValues,
): { config: TrainConfig; defaultOutDir: string } {
  if (!v.genotype) throw new Error("--genotype NAME|FILE is required");
  const config = resolveTrainConfig(v.size!, v.genotype, {
    dataset: datasetEntry(v.dataset, "train", "--dataset").name,
    seed: numberFlag(v.seed, "seed"),
    epochs: numberFlag(v.epochs, "epochs"),
    batchSize: numberFlag(v["batch-size"], "batch-size"),
    channels: numberFlag(v.channels, "channels"),
    layers: numberFlag(v.layers, "layers"),
    learningRate: numberFlag(v.lr, "lr"),
    dropPath: numberFlag(v["drop-path"], "drop-path"),
    cutout: numberFlag(v.cutout, "cutout"),
    auxiliary: v.auxiliary === undefined ? undefined : v.auxiliary === "true",
    subset: v.subset === "all" ? null : numberFlag(v.subset, "subset"),
    testSubset: v["test-subset"] === "all"
      ? null
      : numberFlag(v["test-subset"], "test-subset"),
    evalEvery: numberFlag(v["eval-every"], "eval-every"),
    imageSide: v["image-side"] === "native"
      ? null
      : numberFlag(v["image-side"], "image-side"),
    recomputeCells: v["recompute-cells"] ? true : undefined,
  });
  const name = config.genotypeSource.replace(/^.*\//, "").replace(
    /\.json$/,
    "",
  );
  return {
    config,
    defaultOutDir:
      `results/runs/train-${name}-${config.size}-s${config.seed}-${runStamp()}`,
  };
}

/**
 * The configured network's parameters (auxiliary head excluded) and
 * multiply-adds for one image, as the papers count them.
 */
function costLines(config: TrainConfig, genotype: Genotype): string {
  const entry = datasetEntry(config.dataset, "train");
  const imageSize = config.imageSide ?? entry.side;
  const cost = evalNetworkCost({
    genotype,
    channels: config.channels,
    layers: config.layers,
    numClasses: entry.classes,
    stem: entry.stem,
    imageSize,
  });
  return `multiply-adds: ${cost.multiplyAdds} (one ${imageSize}x${imageSize} image: convolutions and linear layers)\nparams: ${cost.parameters}`;
}

/** The run's batches: ImageNet's files, or CIFAR-10 in memory. */
async function trainSource(
  run: OpenedRun<TrainConfig>,
): Promise<{ data: TrainData; close(): string[] }> {
  const { config } = run;
  const entry = datasetEntry(config.dataset, "train");
  if (!entry.load) {
    const data = imageNetTrainData(config, run.dataDir);
    return {
      data,
      close: () => {
        data.close();
        return data.skipped();
      },
    };
  }
  const verify = { verify: run.verify };
  const train = await loadSplit(entry, run.dataDir, "train", verify);
  const test = await loadSplit(entry, run.dataDir, "test", verify);
  return { data: inMemoryTrainData(config, train, test), close: () => [] };
}

/** The progress line of a finished epoch. */
function epochLine(row: TrainEpochRow): string {
  const test = row.test_acc === null
    ? ""
    : ` test acc ${row.test_acc.toFixed(4)}`;
  return `epoch ${row.epoch + 1}: lr ${row.lr.toExponential(3)} train loss ${
    row.train_loss.toFixed(4)
  } acc ${row.train_acc.toFixed(3)}${test} (${formatDuration(row.seconds)})`;
}

/** Runs the train command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(TRAIN_COMMAND, args);
  if (typeof parsed === "number") return parsed;
  const v = parsed.values;
  const run = await openRun(
    "train",
    USAGE,
    v,
    () => configFromFlags(v),
    (saved) =>
      resolveTrainConfig(String(saved.size), String(saved.genotypeSource)),
  );
  if (typeof run === "number") return run;
  let checkpoints: CheckpointOptions;
  try {
    checkpoints = checkpointOptions(v);
  } catch (error) {
    console.error(`train: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { config, outDir } = run;
  const genotype = await loadGenotype(config.genotypeSource, config.seed);
  const backend = await initBackend(v.backend!);
  if (v["count-params"]) {
    console.log(costLines(config, genotype));
    return 0;
  }
  const source = await trainSource(run);
  const fit = await fitTrainingStep(
    {
      config,
      genotype,
      imageSide: config.imageSide ?? datasetEntry(config.dataset, "train").side,
      numClasses: source.data.shape.numClasses,
      inputChannels: source.data.shape.channels,
    },
    backend.name,
    Boolean(run.resume || v["recompute-cells"]),
  );
  if (fit.recomputeCells === null) {
    source.close();
    const last = fit.tried.at(-1)!;
    // A resumed run keeps its configuration: only another backend helps it.
    const ways = [
      ...await largerBackendAdvice(),
      ...(run.resume ? ["a machine with more memory"] : [
        ...(last.recomputeCells ? [] : ["--recompute-cells"]),
        "a smaller --batch-size, --channels or --layers",
      ]),
    ];
    const choices = ways.length === 1
      ? ways[0]
      : `${ways.slice(0, -1).join(", ")} or ${ways.at(-1)}`;
    console.error(
      `train: one step needs ${
        describeTrainMemory(last, backend.name)
      }. Nothing was started. Choose ${choices}`,
    );
    return 1;
  }
  if (fit.recomputeCells && !config.recomputeCells) {
    config.recomputeCells = true;
    if (!v.quiet) {
      console.log(
        `train: one step needs ${
          describeTrainMemory(fit.tried[0], backend.name)
        }: recomputing its cells, about ${
          byteSize(fit.tried[1].memory.stepBytes)
        }`,
      );
    }
  }
  await startRunFolder(run, backend, { genotype });
  const steps = source.data.train.batchesPerEpoch();
  const progress = new EpochProgress(
    `train ${config.genotypeSource}/${config.size}`,
    steps * config.epochs,
    Boolean(v.quiet),
  );
  if (!v.quiet) {
    console.log(
      `train ${
        genotypeToReferenceText(genotype)
      }\nC=${config.channels}, ${config.layers} layers, batch ${config.batchSize}, ${config.epochs} epochs; backend ${backend.name} on ${backend.device}; writing ${outDir}`,
    );
  }
  let result;
  try {
    result = await runTraining({
      config,
      genotype,
      data: source.data,
      outDir,
      resume: run.resume,
      ...checkpoints,
      callbacks: {
        ...progress.callbacks(epochLine),
        onCheckpoint: (p) =>
          progress.note(
            `checkpoint: epoch ${p.epoch + 1}, ${p.step} steps done`,
          ),
      },
    });
  } finally {
    const skipped = source.close();
    if (skipped.length > 0) {
      console.log(`skipped ${skipped.length} files that did not decode`);
    }
  }
  const top5 = datasetEntry(config.dataset, "train").top5
    ? ` (top-5 ${(result.testTop5Error * 100).toFixed(2)}%)`
    : "";
  console.log(
    `training time: ${formatDuration(result.seconds)} (${
      result.seconds.toFixed(1)
    } s)\ntest error: ${
      (result.testError * 100).toFixed(2)
    }%${top5} (final epoch, ${result.testImages} test images), params: ${result.parameters}`,
  );
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`train: ${explainError(error)}`);
    Deno.exit(1);
  }
}
