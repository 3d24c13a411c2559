/**
 * `deno task search cifar10|fashion-mnist [--method NAME]
 * [--size paper|cpu|small|smoke] [flags]`: runs an architecture search and writes its
 * run folder (config.json, epochs.csv, genotype.json, architecture.safetensors,
 * checkpoint.safetensors). `--resume DIR` continues an interrupted run.
 */
import { numberFlag } from "./flags.ts";
import { type CommandSpec, parseCommand, usageOf } from "./command_spec.ts";
import {
  DEFAULT_BACKEND,
  explainError,
  oversizedStepBackend,
} from "../backends/table.ts";
import { initBackend } from "../backends/init.ts";
import { resolveDataDir } from "../data/data_dir.ts";
import { loadCifar10 } from "../data/cifar10.ts";
import { loadFashionMnist } from "../data/fashion_mnist.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { genotypeToReferenceText } from "../space/genotype.ts";
import {
  resolveSearchConfig,
  SEARCH_METHODS,
  SEARCH_SIZES,
  type SearchConfig,
} from "../search/search_config.ts";
import {
  NonFiniteLossError,
  RUN_FILES,
  runSearch,
  searchSplits,
} from "../search/search.ts";
import { EpochProgress, formatDuration } from "./progress.ts";
import {
  checkStepMemory,
  memoryAdvice,
  memoryShortfall,
} from "./memory_guard.ts";
import {
  readRunConfig,
  RUN_FLAGS,
  runStamp,
  writeRunConfig,
} from "./run_folder.ts";

/** The search command's flags. */
export const SEARCH_COMMAND = {
  name: "search",
  synopsis: ["cifar10|fashion-mnist [options]", "--resume DIR [options]"],
  positionals: true,
  flags: {
    method: {
      type: "string",
      value: SEARCH_METHODS.join("|"),
      help: "what to search (default pcdarts)",
    },
    size: {
      type: "string",
      value: SEARCH_SIZES.join("|"),
      help: "how much compute (default paper)",
    },
    profile: { type: "string", value: "NAME", help: "the same as --size" },
    backend: {
      type: "string",
      value: "auto|tensorflow|webgpu|wasm|cpu",
      help:
        "where to run (default wasm; tensorflow, where it is set up,\nfor a step too large for wasm's heap)",
    },
    out: {
      type: "string",
      value: "DIR",
      help: "run folder (default results/runs/<run-id>)",
    },
    seed: { type: "string", value: "N", help: "seed of everything random" },
    "warmup-epochs": {
      type: "string",
      value: "N",
      help: "epochs before architecture updates start",
    },
    "partial-channels": {
      type: "string",
      value: "K",
      help: "K of partial channel connections",
    },
    "edge-normalization": {
      type: "string",
      value: "true|false",
      help: "edge normalization (betas)",
    },
    "channel-sampling": {
      type: "string",
      value: "first|random",
      help: "which channels the partial connections take",
    },
    "train-portion": {
      type: "string",
      value: "X",
      help: "fraction of the images that train the weights",
    },
    lr: { type: "string", value: "X", help: "weight learning rate at epoch 0" },
    "lr-min": {
      type: "string",
      value: "X",
      help: "weight learning rate the cosine ends at",
    },
    "arch-lr": {
      type: "string",
      value: "X",
      help: "architecture Adam learning rate",
    },
    "eval-every": {
      type: "string",
      value: "N",
      help: "evaluate every N epochs (0: only at the end)",
    },
    "recompute-cells": {
      type: "boolean",
      help:
        "recompute cell intermediates in the backward pass: about\n45 % of the memory for about a third more time",
    },
    "skip-memory-check": {
      type: "boolean",
      help:
        "start without first measuring whether a step fits the\nbackend's memory (the wasm heap: 4 GiB)",
    },
    ...RUN_FLAGS,
  },
} as const satisfies CommandSpec;

const USAGE = usageOf(SEARCH_COMMAND);

async function loadTrainData(
  dataset: string,
  dataDir: string,
  verify: boolean,
): Promise<ImageDataset> {
  if (dataset === "cifar10") {
    return await loadCifar10(dataDir, "train", { verify });
  }
  if (dataset === "fashion-mnist") {
    return await loadFashionMnist(dataDir, "train");
  }
  throw new Error(
    `unknown data set "${dataset}"; choose cifar10 or fashion-mnist`,
  );
}

function runId(config: SearchConfig): string {
  return `${config.dataset}-${config.method}-${config.size}-s${config.seed}-${runStamp()}`;
}

/** Runs the search command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(SEARCH_COMMAND, args);
  if (typeof parsed === "number") return parsed;
  const v = parsed.values;
  let config: SearchConfig;
  let outDir: string;
  let dataDir = resolveDataDir(v["data-dir"]);
  let verify = !v["no-verify"];
  try {
    if (v.resume) {
      outDir = v.resume;
      ({ config, dataDir, verify } = await readRunConfig<SearchConfig>(
        outDir,
        { dataDir: v["data-dir"], noVerify: v["no-verify"] },
        { dataDir, verify },
        (saved) =>
          resolveSearchConfig(String(saved.method), String(saved.size)),
      ));
    } else {
      const dataset = parsed.positionals[0];
      if (!dataset) {
        throw new Error("name a data set: cifar10 or fashion-mnist");
      }
      const edge = v["edge-normalization"];
      config = resolveSearchConfig(
        v.method ?? "pcdarts",
        v.size ?? v.profile ?? "paper",
        {
          dataset,
          seed: numberFlag(v.seed, "seed"),
          epochs: numberFlag(v.epochs, "epochs"),
          warmupEpochs: numberFlag(v["warmup-epochs"], "warmup-epochs"),
          batchSize: numberFlag(v["batch-size"], "batch-size"),
          channels: numberFlag(v.channels, "channels"),
          layers: numberFlag(v.layers, "layers"),
          partialChannels: numberFlag(
            v["partial-channels"],
            "partial-channels",
          ),
          edgeNormalization: edge === undefined ? undefined : edge === "true",
          channelSampling: v["channel-sampling"] as
            | SearchConfig["channelSampling"]
            | undefined,
          subset: v.subset === "all" ? null : numberFlag(v.subset, "subset"),
          trainPortion: numberFlag(v["train-portion"], "train-portion"),
          learningRate: numberFlag(v.lr, "lr"),
          learningRateMin: numberFlag(v["lr-min"], "lr-min"),
          archLearningRate: numberFlag(v["arch-lr"], "arch-lr"),
          evalEvery: numberFlag(v["eval-every"], "eval-every"),
          recomputeCells: v["recompute-cells"] ? true : undefined,
          imageSide: v["image-side"] === "native"
            ? null
            : numberFlag(v["image-side"], "image-side"),
        },
      );
      outDir = v.out ?? `results/runs/${runId(config)}`;
    }
  } catch (error) {
    // A damaged run folder is data (status 1); a bad flag is usage (2).
    if (v.resume) {
      console.error(`search: ${(error as Error).message}`);
      return 1;
    }
    console.error(`search: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  let backend = await initBackend(v.backend ?? DEFAULT_BACKEND);
  const trainData = await loadTrainData(config.dataset, dataDir, verify);
  if (!v["skip-memory-check"]) {
    let memory = await checkStepMemory(config, backend.name);
    // Without --backend, a step too large for the default backend's memory
    // goes to a backend that takes such steps, where one is set up.
    const larger = memory.fits || v.backend !== undefined
      ? null
      : await oversizedStepBackend(backend.name);
    if (larger !== null) {
      const tooLarge = memoryShortfall(config, backend.name, memory);
      backend = await initBackend(larger.name);
      memory = await checkStepMemory(config, backend.name);
      if (memory.fits && !v.quiet) {
        console.log(
          `${tooLarge}; running on the ${backend.name} backend instead`,
        );
      }
    }
    if (!memory.fits) {
      console.error(`search: ${memoryAdvice(config, backend.name, memory)}`);
      return 1;
    }
  }
  await Deno.mkdir(outDir, { recursive: true });
  if (!v.resume) {
    await writeRunConfig(outDir, { config, backend, dataDir, verify });
  }
  const { train } = searchSplits(config, trainData);
  const stepsPerEpoch = Math.ceil(train.length / config.batchSize);
  const quiet = Boolean(v.quiet);
  const progress = new EpochProgress(
    `search ${config.method}/${config.size}`,
    stepsPerEpoch * config.epochs,
    quiet,
  );
  if (!quiet) {
    console.log(
      `search ${config.method} (${config.size}) on ${config.dataset}: C=${config.channels}, ${config.layers} layers, K=${config.partialChannels}, edge normalization ${
        config.edgeNormalization ? "on" : "off"
      }, batch ${config.batchSize}, ${config.epochs} epochs (${config.warmupEpochs} warm-up), ${train.length} weight images`,
    );
    console.log(
      `backend ${backend.name} on ${backend.device}; writing ${outDir}${
        v.resume ? " (resuming)" : ""
      }`,
    );
  }
  let result;
  try {
    result = await runSearch({
      config,
      trainData,
      outDir,
      resume: Boolean(v.resume),
      callbacks: {
        onEpochStart: (epoch, epochs, steps) =>
          progress.epochStart(epoch, epochs, steps),
        onStep: (s) => progress.step(s.step, s.steps, s.loss, s.accuracy),
        onEpochEnd: (row) =>
          progress.epochEnd(
            `epoch ${row.epoch + 1}: lr ${row.lr.toExponential(3)} train loss ${
              row.train_loss.toFixed(4)
            } acc ${row.train_acc.toFixed(3)}${
              row.valid_acc === null
                ? ""
                : ` valid loss ${row.valid_loss!.toFixed(4)} acc ${
                  row.valid_acc.toFixed(3)
                }`
            } (${formatDuration(row.seconds)})\n  genotype ${row.genotype}`,
          ),
      },
    });
  } catch (error) {
    if (error instanceof NonFiniteLossError) {
      console.error(
        `search stopped: ${error.message}. The last good checkpoint stays in ${outDir}/${RUN_FILES.checkpoint}; lower the learning rate (--lr) and start again, or resume with --resume ${outDir}`,
      );
      return 1;
    }
    throw error;
  }
  const last = result.history.at(-1)!;
  const days = (result.seconds * 1) / 86400;
  console.log(`\nsearch done: ${outDir}`);
  console.log(`genotype: ${genotypeToReferenceText(result.genotype)}`);
  console.log(
    `search time: ${formatDuration(result.seconds)} (${
      result.seconds.toFixed(1)
    } s)`,
  );
  console.log(
    backend.gpu
      ? `search cost: ${days.toExponential(3)} GPU-days (1 x ${backend.device})`
      : `search cost: ${
        days.toExponential(3)
      } CPU-days on ${backend.device} (no GPU: not comparable to the paper's GPU-days)`,
  );
  console.log(
    `peak tensor bytes: ${result.peakTensorBytes} (${
      (result.peakTensorBytes / 2 ** 20).toFixed(1)
    } MiB; in buffers, each once: ${
      (result.peakBufferBytes / 2 ** 20).toFixed(1)
    } MiB)`,
  );
  if (last.valid_acc !== null) {
    console.log(
      `validation (evaluation mode): loss ${
        last.valid_loss!.toFixed(4)
      }, accuracy ${last.valid_acc.toFixed(4)}`,
    );
  }
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`search: ${explainError(error)}`);
    Deno.exit(1);
  }
}
