/**
 * Measuring one search step — an architecture step on a validation batch, then a
 * weight step on a training batch, as in the search loop — on seeded random
 * 10-class data: median wall milliseconds after warm-up, peak live tensor bytes
 * (tfjs' count, `kernel_profile.ts`) and process RSS.
 */
import type { CellRecomputation } from "../ops/recompute.ts";
import * as tf from "../tf.ts";
import { type ProfiledKernel, profileKernels } from "../run/kernel_profile.ts";
import type { KernelWork } from "../backends/backend_unit.ts";
import {
  type MachinePeak,
  type StepRoofline,
  stepRoofline,
  tfjsKernelWork,
} from "./roofline.ts";
import { type BufferMeter, startBufferMeter } from "../run/buffer_meter.ts";
import { Random } from "../ops/random.ts";
import { SearchNetwork } from "../space/search_network.ts";
import { lossAndGradients } from "../search/architect.ts";
import { searchMethod } from "../search/search_methods.ts";
import { searchOptimizers } from "../search/search.ts";
import {
  resolveSearchConfig,
  type SearchConfig,
} from "../search/search_config.ts";
import type { TensorBatch } from "../data/batch_tensors.ts";
import { datasetEntry } from "../data/dataset_registry.ts";
import type { ProgramTime } from "../backends/backend_unit.ts";
import {
  activeBackend,
  programDispatchCount,
} from "../backends/backend_table.ts";
import { mainThreadCpuMs, processCpuMs } from "./cpu_time.ts";

/** What to measure. */
export interface StepSpec {
  /** Initial channels. */
  channels: number;
  /** Cells. */
  layers: number;
  /** K. */
  partialChannels: number;
  /** Edge normalization. */
  edgeNormalization: boolean;
  /** Images per batch. */
  batchSize: number;
  /** Image side. */
  imageSize: number;
  /** The search method whose step is measured (default pcdarts's). */
  method?: string;
  /** The network's stem (default CIFAR's; see `stems.ts`). */
  stem?: "cifar" | "imagenet";
  /** Classes of the classifier and of the random labels (default 10). */
  numClasses?: number;
  /** Timed steps (median reported). */
  steps?: number;
  /** Untimed warm-up steps. */
  warmup?: number;
  /**
   * Untimed steps after the profiled one, before the timed ones (default 0):
   * the profile's hooks move tensors to other buffers, and the bind groups
   * reused from step to step on webgpu take a few steps to settle again.
   */
  settle?: number;
  /** Seed. */
  seed?: number;
  /**
   * The batches of step `i` (warm-up steps count from 0); seeded random data
   * when absent. The caller owns (and disposes) what it returns.
   */
  batches?: (step: number) => { train: TensorBatch; valid: TensorBatch };
  /** Take the architecture step too (default true; false: a warm-up epoch's step). */
  architectureStep?: boolean;
  /** Recompute cell intermediates in the backward pass (SearchNetworkConfig.recomputeCells). */
  recomputeCells?: CellRecomputation;
  /** Profile one extra step for peak bytes and kernels (default true). */
  profile?: boolean;
  /**
   * The machine's ceilings: with them, the profiled step's kernels are also
   * counted against the roofline (`roofline.ts`).
   */
  peak?: MachinePeak;
  /**
   * After the timed steps, time every dispatch of one weight-step gradient on
   * the GPU (webgpu only; see `gpu_time.ts`).
   */
  gpuTime?: boolean;
}

/**
 * The step a search configuration takes at `batchSize`: its network, method
 * and image side (Fashion-MNIST's 28, else CIFAR's 32, where the
 * configuration names none), on seeded random data.
 */
export function searchStepSpec(
  config: SearchConfig,
  batchSize: number,
): StepSpec {
  return {
    channels: config.channels,
    layers: config.layers,
    partialChannels: config.partialChannels,
    edgeNormalization: config.edgeNormalization,
    batchSize,
    imageSize: config.imageSide ?? datasetEntry(config.dataset, "search").side,
    method: config.method,
    recomputeCells: config.recomputeCells,
    stem: config.stem,
    seed: config.seed,
  };
}

/** What was measured. */
export interface StepMeasurement {
  /** Median milliseconds per step. */
  medianMs: number;
  /** Every timed step's milliseconds. */
  allMs: number[];
  /** Peak live tensor bytes during one step (weights, optimizer state and data included); NaN unprofiled. */
  peakBytes: number;
  /**
   * Peak live buffer bytes during the same step, each buffer once (views and
   * saved clones share theirs; see `buffer_meter.ts`); NaN unprofiled.
   */
  peakBufferBytes: number;
  /** Process resident set size after the steps. */
  rssBytes: number;
  /** Kernels one step launched: tfjs kernels, plus our WGSL programs on webgpu (NaN unprofiled). */
  kernels: number;
  /** GPU compute dispatches per timed step (webgpu; NaN elsewhere). */
  gpuDispatches: number;
  /** Median CPU milliseconds of the main thread per timed step (NaN where unmeasurable). */
  hostMs: number;
  /**
   * CPU milliseconds of all the process's threads per timed step, the timed
   * steps' total over their count (NaN where unmeasurable).
   */
  processCpuMs: number;
  /** GPU time per program of one weight-step gradient, when asked for. */
  gpuTime?: ProgramTime[];
  /** The profiled step's roofline, when the peak was given. */
  roofline?: StepRoofline;
}

/** A batch of seeded normal images and integer labels. */
export function randomBatch(
  random: Random,
  n: number,
  size: number,
  classes: number,
): TensorBatch {
  const pixels = new Float32Array(n * size * size * 3);
  for (let i = 0; i < pixels.length; i++) pixels[i] = random.normal();
  const labels = Int32Array.from({ length: n }, () => random.int(classes));
  return {
    images: tf.tensor4d(pixels, [n, size, size, 3]),
    labels: tf.tensor1d(labels, "int32"),
  };
}

/**
 * The work of every tfjs kernel in a profile. A custom gradient's forward
 * function is recorded as a kernel of its scope's name around the kernels it
 * runs, which are recorded too: only registered kernels count, so that no
 * time counts twice.
 */
async function tfjsKernelWorks(
  kernels: ProfiledKernel[],
): Promise<KernelWork[]> {
  const backend = activeBackend().name;
  const works: KernelWork[] = [];
  for (const k of kernels) {
    if (tf.getKernel(k.name, backend) === undefined) continue;
    const time = await k.kernelTimeMs;
    works.push(tfjsKernelWork(k, typeof time === "number" ? time : NaN));
  }
  return works;
}

/** Builds the network and measures its search step. */
export async function measureSearchStep(
  spec: StepSpec,
): Promise<StepMeasurement> {
  // Started first, so that the weights, optimizer state and data count; and
  // stopped however the measurement ends (one meter runs at a time).
  const meter = spec.profile === false ? null : startBufferMeter();
  try {
    return await measureWithMeter(spec, meter);
  } finally {
    meter?.stop();
  }
}

async function measureWithMeter(
  spec: StepSpec,
  meter: BufferMeter | null,
): Promise<StepMeasurement> {
  const random = new Random(spec.seed ?? 0);
  const method = searchMethod(spec.method ?? "pcdarts");
  const network = new SearchNetwork({
    channels: spec.channels,
    layers: spec.layers,
    numClasses: spec.numClasses ?? 10,
    partialChannels: spec.partialChannels,
    edgeNormalization: spec.edgeNormalization,
    seed: spec.seed ?? 0,
    recomputeCells: spec.recomputeCells ?? false,
    stem: spec.stem ?? "cifar",
  });
  // The search's optimizers (momentum 0.9, wd 3e-4; Adam β (0.5, 0.999), wd 1e-3).
  const { sgd, adam } = searchOptimizers(
    network,
    resolveSearchConfig("pcdarts", "paper"),
  );
  const classes = spec.numClasses ?? 10;
  const train = randomBatch(random, spec.batchSize, spec.imageSize, classes);
  const valid = randomBatch(random, spec.batchSize, spec.imageSize, classes);
  let stepIndex = 0;
  const step = async () => {
    const at = stepIndex++;
    const data = spec.batches?.(at) ?? { train, valid };
    await method.step({
      step: {
        network,
        adam,
        sgd,
        archLearningRate: 6e-4,
        weightLearningRate: 0.025,
        gradientClip: 5,
      },
      batches: {
        architecture: spec.architectureStep === false ? null : data.valid,
        weights: data.train,
      },
      where: "a measured search step",
      keepLogits: false,
      at: { epoch: 0, step: at, seed: spec.seed ?? 0 },
    });
  };

  try {
    const m = await timeSteps(step, { ...spec, meter });
    const backend = activeBackend();
    let gpuTime: ProgramTime[] | undefined;
    if (spec.gpuTime) {
      const data = spec.batches?.(stepIndex++) ?? { train, valid };
      if (backend.gpuTimeByProgram === undefined) {
        throw new Error(
          `GPU time by program needs a GPU backend, not ${backend.name}`,
        );
      }
      gpuTime = await backend.gpuTimeByProgram(() => {
        const { loss, grads } = lossAndGradients(
          network,
          data.train,
          network.weightVariables(),
          false,
        );
        tf.dispose([loss, ...Object.values(grads)]);
      });
    }
    return { ...m, gpuTime };
  } finally {
    tf.dispose([train.images, train.labels, valid.images, valid.labels]);
    sgd.dispose();
    adam.dispose();
    network.dispose();
  }
}

/** How {@linkcode timeSteps} runs the steps. */
export interface TimingOptions {
  /** Untimed warm-up steps (default 1). */
  warmup?: number;
  /** Timed steps (default 5). */
  steps?: number;
  /** Untimed steps after the profiled one (default 0). */
  settle?: number;
  /** Profile one step for peak bytes and kernels (default true). */
  profile?: boolean;
  /** The machine's ceilings: with them, the profiled step's roofline. */
  peak?: MachinePeak;
  /** The buffer meter started before the network was built (null: none). */
  meter: BufferMeter | null;
}

/**
 * Warm-up steps, one profiled step (peak bytes, kernels, roofline), then the
 * timed steps: what one step of any kind costs.
 */
export async function timeSteps(
  step: () => Promise<void>,
  spec: TimingOptions,
): Promise<Omit<StepMeasurement, "gpuTime">> {
  const meter = spec.meter;
  const backend = activeBackend();
  for (let i = 0; i < (spec.warmup ?? 1); i++) await step();
  const programsBefore = programDispatchCount();
  meter?.resetPeak();
  const record = spec.peak && spec.profile !== false
    ? activeBackend().recordKernelWork?.()
    : undefined;
  let ownWork: KernelWork[] = [];
  let profile;
  try {
    profile = spec.profile === false ? null : await profileKernels(step);
  } finally {
    if (record) ownWork = record();
  }
  const roofline = spec.peak && profile
    ? stepRoofline(
      [...await tfjsKernelWorks(profile.kernels), ...ownWork],
      spec.peak,
    )
    : undefined;
  const peakBufferBytes = meter?.peakBytes ?? NaN;
  // Stopped before the timed steps, which its hooks would slow.
  meter?.stop();
  const programs = programDispatchCount() - programsBefore;
  for (let i = 0; i < (spec.settle ?? 0); i++) await step();
  const allMs: number[] = [];
  const hostMs: number[] = [];
  const gpuDispatchCount = () => backend.gpuDispatchCount?.() ?? NaN;
  const dispatchesBefore = gpuDispatchCount();
  const processCpuBefore = processCpuMs();
  for (let i = 0; i < (spec.steps ?? 5); i++) {
    const started = performance.now();
    const cpu = mainThreadCpuMs();
    await step();
    allMs.push(performance.now() - started);
    hostMs.push(mainThreadCpuMs() - cpu);
  }
  const processCpu = (processCpuMs() - processCpuBefore) / allMs.length;
  const dispatches = (gpuDispatchCount() - dispatchesBefore) /
    allMs.length;
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)] : NaN;
  };
  return {
    medianMs: median(allMs),
    gpuDispatches: dispatches,
    hostMs: median(hostMs),
    processCpuMs: processCpu,
    allMs,
    peakBytes: profile?.peakBytes ?? NaN,
    peakBufferBytes,
    rssBytes: Deno.memoryUsage().rss,
    // tfjs' kernels plus our WGSL programs (webgpu), which it does not see.
    kernels: profile ? profile.kernels.length + programs : NaN,
    roofline,
  };
}
