/**
 * `deno task search cifar10|fashion-mnist [--method pcdarts|darts1|darts2]
 * [--size paper|cpu|small|smoke] [flags]`: runs an architecture search and writes its
 * run folder (config.json, epochs.csv, genotype.json, architecture.safetensors,
 * checkpoint.safetensors). `--resume DIR` continues an interrupted run.
 */
import { numberFlag, parseCommandLine } from "./flags.ts";
import { explainError } from "../errors.ts";
import { initBackend } from "../backend.ts";
import { resolveDataDir } from "../data/data_dir.ts";
import { loadCifar10 } from "../data/cifar10.ts";
import { loadFashionMnist } from "../data/fashion_mnist.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { genotypeToReferenceText } from "../genotype.ts";
import {
  resolveSearchConfig,
  SEARCH_METHODS,
  SEARCH_SIZES,
  type SearchConfig,
} from "../search/profiles.ts";
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
import { builtPackage } from "../tensorflow/package.ts";
import { readRunConfig, runStamp, writeRunConfig } from "./run_folder.ts";

const USAGE = `usage: deno task search cifar10|fashion-mnist [options]

  --method ${SEARCH_METHODS.join("|")}   what to search (default pcdarts)
  --size ${
  SEARCH_SIZES.join("|")
}       how much (default paper; --profile is the same flag)
  --backend auto|tensorflow|webgpu|wasm|cpu (default wasm; tensorflow, where
                       it is set up, for a step too large for wasm's heap)
  --data-dir DIR       data folder (else PCDARTS_DATA_DIR, else ./data)
  --no-verify          skip the md5 check of the data files
  --out DIR            run folder (default results/runs/<run-id>)
  --resume DIR         continue the run in DIR from its last checkpoint
  --seed N  --epochs N  --warmup-epochs N  --batch-size N  --channels N  --layers N
  --partial-channels K  --edge-normalization true|false  --channel-sampling first|random
  --subset N|all  --train-portion X  --lr X  --lr-min X  --arch-lr X  --eval-every N
  --image-side N|native  average the images down to N×N pixels (16 at the cpu size)
  --recompute-cells    recompute cell intermediates in the backward pass: about
                       45 % of the memory for about a third more time
  --skip-memory-check  start without first measuring whether a step fits the
                       backend's memory (the wasm heap: 4 GiB)
  --quiet              no progress output`;

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
  const parsed = parseCommandLine("search", USAGE, {
    args,
    allowPositionals: true,
    options: {
      method: { type: "string" },
      size: { type: "string" },
      profile: { type: "string" },
      backend: { type: "string" },
      "data-dir": { type: "string" },
      "no-verify": { type: "boolean" },
      out: { type: "string" },
      resume: { type: "string" },
      seed: { type: "string" },
      epochs: { type: "string" },
      "warmup-epochs": { type: "string" },
      "batch-size": { type: "string" },
      channels: { type: "string" },
      layers: { type: "string" },
      "partial-channels": { type: "string" },
      "edge-normalization": { type: "string" },
      "channel-sampling": { type: "string" },
      subset: { type: "string" },
      "image-side": { type: "string" },
      "train-portion": { type: "string" },
      lr: { type: "string" },
      "lr-min": { type: "string" },
      "arch-lr": { type: "string" },
      "eval-every": { type: "string" },
      "recompute-cells": { type: "boolean" },
      "skip-memory-check": { type: "boolean" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
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
  let backend = await initBackend(v.backend ?? "wasm");
  const trainData = await loadTrainData(config.dataset, dataDir, verify);
  if (!v["skip-memory-check"]) {
    let memory = await checkStepMemory(config, backend.name);
    // Without --backend, a step too large for wasm's heap goes to the
    // tensorflow backend where it is set up.
    if (!memory.fits && v.backend === undefined && builtPackage() !== null) {
      const tooLarge = memoryShortfall(config, backend.name, memory);
      backend = await initBackend("tensorflow");
      memory = await checkStepMemory(config, backend.name);
      if (memory.fits && !v.quiet) {
        console.log(`${tooLarge}; running on the tensorflow backend instead`);
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
