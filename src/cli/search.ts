/**
 * `deno task search cifar10|fashion-mnist|imagenet [--method NAME]
 * [--size paper|cpu|small|smoke] [flags]`: runs an architecture search and writes its
 * run folder (config.json, epochs.csv, genotype.json, architecture.safetensors,
 * checkpoint.safetensors). `--resume DIR` continues an interrupted run.
 */
import { numberFlag } from "./flags.ts";
import { type CommandSpec, parseCommand, usageOf } from "./command_spec.ts";
import {
  BACKEND_CHOICES,
  DEFAULT_BACKEND,
  explainError,
} from "../backends/backend_table.ts";
import { initBackend } from "../backends/init.ts";
import {
  datasetEntry,
  datasetNames,
  loadSplit,
} from "../data/dataset_registry.ts";
import { genotypeToReferenceText } from "../space/genotype.ts";
import {
  resolveSearchConfig,
  SEARCH_METHODS,
  SEARCH_SIZES,
  type SearchConfig,
} from "../search/search_config.ts";
import {
  inMemorySearchData,
  NonFiniteLossError,
  RUN_FILES,
  runSearch,
  type SearchData,
  type SearchResult,
  searchSplits,
} from "../search/search.ts";
import { imageNetSearchData } from "../search/imagenet_search_data.ts";
import type { EpochRow } from "../search/epoch_row.ts";
import type { BackendInfo } from "../backends/init.ts";
import { EpochProgress, formatDuration } from "./progress.ts";
import {
  checkStepMemory,
  memoryAdvice,
  memoryShortfall,
  parseMemorySize,
  setMemoryLimit,
} from "./memory_guard.ts";
import {
  chooseSearchRoute,
  describeRoute,
  routeSeconds,
} from "./search_route.ts";
import { RUN_FILES as FILES } from "../search/search.ts";
import {
  type CheckpointOptions,
  checkpointOptions,
  type OpenedRun,
  openRun,
  RUN_FLAGS,
  runStamp,
  startRunFolder,
} from "./run_folder.ts";

/** The search command's flags. */
export const SEARCH_COMMAND = {
  name: "search",
  synopsis: [
    `${datasetNames("search").join("|")} [options]`,
    "--resume DIR [options]",
  ],
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
      value: BACKEND_CHOICES,
      help:
        `where to run (default: ${DEFAULT_BACKEND} where the step fits, else the\nfastest backend that fits, with recomputed cells where they\nmust be; a resumed run keeps its own)`,
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
        "recompute every cell's intermediates in the backward pass:\nabout 45 % of the memory for about a third more time",
    },
    "recompute-first": {
      type: "string",
      value: "N",
      help:
        "recompute only the first N cells' intermediates (they hold\nthe largest activations): less time than every cell",
    },
    "memory-limit": {
      type: "string",
      value: "SIZE",
      help:
        "take no backend to hold more than SIZE (8G, 512M) when\nchecking that a step fits",
    },
    "skip-memory-check": {
      type: "boolean",
      help:
        "start without first measuring whether a step fits the\nbackend's memory",
    },
    subsets: {
      type: "string",
      value: "FILE",
      help:
        "imagenet: the subsets manifest to search on (else sampled from\nthe seed and written to the run folder as subsets.csv)",
    },
    ...RUN_FLAGS,
  },
} as const satisfies CommandSpec;

const USAGE = usageOf(SEARCH_COMMAND);

type SearchFlagValues = Exclude<
  ReturnType<typeof parseCommand<typeof SEARCH_COMMAND>>,
  number
>["values"];

/**
 * The search's batches: ImageNet's files (`--data-dir` is its root) or an
 * in-memory data set's; with the images the weight steps see an epoch.
 */
async function searchData(
  run: OpenedRun<SearchConfig>,
  subsetsFile?: string,
): Promise<{ data: SearchData; weightImages: number; close(): string[] }> {
  const { config } = run;
  const entry = datasetEntry(config.dataset, "search");
  if (!entry.load) {
    const data = await imageNetSearchData(config, run.dataDir, run.outDir, {
      subsetsFile,
    });
    return {
      data,
      weightImages: data.subsets.weights.length,
      close: () => {
        data.close();
        return data.skipped();
      },
    };
  }
  const images = await loadSplit(entry, run.dataDir, "train", {
    verify: run.verify,
  });
  return {
    data: inMemorySearchData(config, images),
    weightImages: searchSplits(config, images).train.length,
    close: () => [],
  };
}

function runId(config: SearchConfig): string {
  return `${config.dataset}-${config.method}-${config.size}-s${config.seed}-${runStamp()}`;
}

/** The configuration of a new search from its flags. */
function configFromFlags(
  v: SearchFlagValues,
  positionals: string[],
): { config: SearchConfig; defaultOutDir: string } {
  const dataset = datasetEntry(positionals[0], "search").name;
  const edge = v["edge-normalization"];
  const config = resolveSearchConfig(
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
      partialChannels: numberFlag(v["partial-channels"], "partial-channels"),
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
      recomputeCells: recomputationFlags(v),
      imageSide: v["image-side"] === "native"
        ? null
        : numberFlag(v["image-side"], "image-side"),
    },
  );
  return { config, defaultOutDir: `results/runs/${runId(config)}` };
}

/** The backend a resumed run started on (its config.json), if it says. */
async function savedBackend(outDir: string): Promise<string | undefined> {
  try {
    const saved = JSON.parse(
      await Deno.readTextFile(`${outDir}/${FILES.config}`),
    );
    return typeof saved?.backend?.name === "string"
      ? saved.backend.name
      : undefined;
  } catch {
    return undefined;
  }
}

/** `--recompute-cells` or `--recompute-first N` as a configuration's setting. */
function recomputationFlags(
  v: SearchFlagValues,
): SearchConfig["recomputeCells"] {
  const first = v["recompute-first"];
  if (first === undefined) return v["recompute-cells"] ? true : undefined;
  if (v["recompute-cells"]) {
    throw new Error(
      "--recompute-cells recomputes every cell and --recompute-first N the first N: give one",
    );
  }
  if (!/^\d+$/.test(first) || Number(first) < 1) {
    throw new Error(
      `--recompute-first takes a whole number of cells (1 or more), not "${first}"`,
    );
  }
  return Number(first);
}

/**
 * Starts the backend a search step fits. `--backend` (or, resuming, the run's
 * own backend) is checked as given; without one, the fastest route that fits
 * is chosen (`search_route.ts`) and the configuration takes its recomputed
 * cells. Returns 1 when nothing fits.
 */
async function startBackend(
  run: OpenedRun<SearchConfig>,
  v: SearchFlagValues,
): Promise<BackendInfo | number> {
  const named = v.backend ??
    (run.resume ? await savedBackend(run.outDir) : undefined);
  if (named !== undefined || v["skip-memory-check"]) {
    const backend = await initBackend(named ?? DEFAULT_BACKEND);
    if (v["skip-memory-check"]) return backend;
    const memory = await checkStepMemory(run.config, backend.name);
    if (memory.fits) return backend;
    console.error(
      `search: ${await memoryAdvice(run.config, backend.name, memory)}`,
    );
    return 1;
  }
  const choice = await chooseSearchRoute(run.config);
  const { chosen, routes } = choice;
  if (chosen === null) {
    const last = routes.at(-1)!;
    console.error(
      `search: ${await memoryAdvice(
        { ...run.config, recomputeCells: last.recomputeCells },
        last.backend,
        last.memory,
      )}`,
    );
    return 1;
  }
  const shortfall = memoryShortfall(
    run.config,
    routes[0].backend,
    routes[0].memory,
  );
  run.config.recomputeCells = chosen.recomputeCells;
  if (!v.quiet && routes.length > 1) {
    const steps = routeSteps(run.config);
    const timed = routes.filter((r) => Number.isFinite(r.stepSeconds)).map(
      (r) =>
        `${describeRoute(r, run.config.layers)} ${
          r.stepSeconds.toFixed(1)
        } s a step${
          Number.isFinite(r.warmupStepSeconds)
            ? ` (${r.warmupStepSeconds.toFixed(1)} s in warm-up)`
            : ""
        }, about ${formatDuration(routeSeconds(r, run.config, steps))} in all`,
    );
    const untimed = routes.filter((r) => !r.memory.fits).map((r) =>
      describeRoute(r, run.config.layers)
    );
    console.log(
      `route: ${
        describeRoute(chosen, run.config.layers)
      }, the fastest that fits (${shortfall}). Estimated: ${timed.join("; ")}${
        untimed.length > 0 ? `; too large: ${untimed.join(", ")}` : ""
      }`,
    );
  }
  return choice.backend;
}

/** Weight steps an epoch (the in-memory data sets' count; NaN for ImageNet). */
function routeSteps(config: SearchConfig): number {
  const images = !datasetEntry(config.dataset, "search").load
    ? NaN
    : Math.floor((config.subset ?? 50000) * config.trainPortion);
  return Math.ceil(images / config.batchSize);
}

/** The progress line of a finished epoch. */
function epochLine(row: EpochRow): string {
  const valid = row.valid_acc === null
    ? ""
    : ` valid loss ${row.valid_loss!.toFixed(4)} acc ${
      row.valid_acc.toFixed(3)
    }`;
  return `epoch ${row.epoch + 1}: lr ${row.lr.toExponential(3)} train loss ${
    row.train_loss.toFixed(4)
  } acc ${row.train_acc.toFixed(3)}${valid} (${
    formatDuration(row.seconds)
  })\n  genotype ${row.genotype}`;
}

/** What the search is about to do, in two lines. */
function startLines(
  run: OpenedRun<SearchConfig>,
  backend: BackendInfo,
  weightImages: number,
): string {
  const c = run.config;
  return `search ${c.method} (${c.size}) on ${c.dataset}: C=${c.channels}, ${c.layers} layers, K=${c.partialChannels}, edge normalization ${
    c.edgeNormalization ? "on" : "off"
  }, batch ${c.batchSize}, ${c.epochs} epochs (${c.warmupEpochs} warm-up), ${weightImages} weight images\nbackend ${backend.name} on ${backend.device}; writing ${run.outDir}${
    run.resume ? " (resuming)" : ""
  }`;
}

/** The summary a finished search prints. */
function summaryLines(
  result: SearchResult,
  backend: BackendInfo,
  outDir: string,
): string[] {
  const last = result.history.at(-1)!;
  const days = result.seconds / 86400;
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  return [
    `\nsearch done: ${outDir}`,
    `genotype: ${genotypeToReferenceText(result.genotype)}`,
    `search time: ${formatDuration(result.seconds)} (${
      result.seconds.toFixed(1)
    } s)`,
    backend.gpu
      ? `search cost: ${days.toExponential(3)} GPU-days (1 x ${backend.device})`
      : `search cost: ${
        days.toExponential(3)
      } CPU-days on ${backend.device} (no GPU: not comparable to the paper's GPU-days)`,
    `peak tensor bytes: ${result.peakTensorBytes} (${
      mib(result.peakTensorBytes)
    } MiB; in buffers, each once: ${mib(result.peakBufferBytes)} MiB)`,
    ...(last.valid_acc === null ? [] : [
      `validation (evaluation mode): loss ${
        last.valid_loss!.toFixed(4)
      }, accuracy ${last.valid_acc.toFixed(4)}`,
    ]),
  ];
}

/** Runs the search command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(SEARCH_COMMAND, args);
  if (typeof parsed === "number") return parsed;
  const v = parsed.values;
  const run = await openRun(
    "search",
    USAGE,
    v,
    () => configFromFlags(v, parsed.positionals),
    (saved) => resolveSearchConfig(String(saved.method), String(saved.size)),
  );
  if (typeof run === "number") return run;
  let checkpoints: CheckpointOptions;
  try {
    if (v["memory-limit"] !== undefined) {
      setMemoryLimit(parseMemorySize(v["memory-limit"]));
    }
    checkpoints = checkpointOptions(v);
  } catch (error) {
    console.error(`search: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  // An in-memory data set loads first: a missing one fails before the
  // backend's probes. ImageNet's reader writes into the run folder.
  const early = !datasetEntry(run.config.dataset, "search").load
    ? null
    : await searchData(run, v.subsets);
  const backend = await startBackend(run, v);
  if (typeof backend === "number") return backend;
  const { config, outDir } = run;
  await startRunFolder(run, backend);
  const source = early ?? await searchData(run, v.subsets);
  const images = source.weightImages;
  const steps = Math.ceil(images / config.batchSize) * config.epochs;
  const progress = new EpochProgress(
    `search ${config.method}/${config.size}`,
    steps,
    Boolean(v.quiet),
  );
  if (!v.quiet) console.log(startLines(run, backend, images));
  let result;
  try {
    result = await runSearch({
      config,
      data: source.data,
      outDir,
      resume: run.resume,
      ...checkpoints,
      callbacks: {
        ...progress.callbacks(epochLine),
        onCheckpoint: (p) => {
          if (!v.quiet) {
            progress.note(
              `checkpoint: epoch ${p.epoch + 1}, ${p.step} steps done`,
            );
          }
        },
      },
    });
  } catch (error) {
    if (!(error instanceof NonFiniteLossError)) throw error;
    console.error(
      `search stopped: ${error.message}. The last good checkpoint stays in ${outDir}/${RUN_FILES.checkpoint}; lower the learning rate (--lr) and start again, or resume with --resume ${outDir}`,
    );
    return 1;
  } finally {
    const skipped = source.close();
    if (skipped.length > 0) {
      console.log(`skipped ${skipped.length} files that did not decode`);
    }
  }
  for (const line of summaryLines(result, backend, outDir)) console.log(line);
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
