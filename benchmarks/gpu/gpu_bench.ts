/**
 * The GPU benchmark's own half (the PyTorch half is reference_step.py); run by
 * benchmarks/gpu/run.sh on the GPU machine as a `deno bundle` of this file.
 *
 *     deno run -A benchmarks/gpu/gpu_bench.ts --size smoke|paper --backend webgpu \
 *       --data SUBSET.bin --fixtures DIR --out DIR [--deadline-s 330]
 *
 * 1. parity: every `*.safetensors` in `--fixtures` (search fixtures and the
 *    evaluation network; folders separated by commas), on the chosen backend;
 * 2. steps: `pcdarts` (K=4, edge normalization) and `darts1` (K=1) search steps
 *    (first order: an architecture step, then a weight step) on real CIFAR-10
 *    images (`--data`: records in the binary CIFAR-10 format), one warm-up
 *    step, then 20 consecutive timed steps: their median and their total;
 * 3. the ImageNet search step: the ImageNet search network (three-convolution
 *    stem, K=2, edge normalization, 1000 classes) on seeded random images at
 *    the size's side and batch (224 and 128 at `paper`), one warm-up step,
 *    then 5 timed steps;
 * 4. memory: peak live tensor bytes of one PC-DARTS search step (edge
 *    normalization on) for K = 1, 2, 4, 8 at each of the size's batches.
 *
 * On webgpu the `pcdarts` steps are timed again (fewer of them) with tfjs' own
 * submission (a uniform upload per dispatch, 15 dispatches per submit) instead
 * of ours (`batched_submission.ts`): the `submission` column. After the
 * `pcdarts` steps on webgpu, one weight-step gradient is run with every
 * dispatch timed, with the two-level reductions (the default) and again
 * with one-level ones: `ours_gpu_time.csv` (GPU milliseconds per program).
 *
 * Writes `ours_parity.csv`, `ours_steps.csv`, `ours_gpu_time.csv`,
 * `ours_imagenet_steps.csv` and `ours_memory.csv`. A
 * measurement that fails (out of memory, say) becomes a row with its error, and
 * whatever would start after `--deadline-s` seconds is skipped and says so, so
 * the run always ends with its CSVs.
 */
import { setExecutionOptions } from "../../src/ops/execution_options.ts";
import { type CommandSpec, parseCommand } from "../../src/cli/command_spec.ts";
import * as tf from "../../src/tf.ts";
import { describeDevice, initBackend } from "../../src/backends/init.ts";
import { readSafetensors } from "../../src/io/safetensors.ts";
import { checkFixture } from "../../src/parity/run_parity.ts";
import { parityVerdict } from "../../src/parity/summary.ts";
import {
  measureSearchStep,
  type StepMeasurement,
  type StepSpec,
} from "../../src/bench/step_measurement.ts";
import type { TensorBatch } from "../../src/data/batch_tensors.ts";
import {
  CIFAR10_MEAN,
  CIFAR10_STD,
  decodeCifar10Records,
} from "../../src/data/cifar10.ts";
import { writeCsvAtomic } from "../../src/io/csv_file.ts";
import {
  columnsFor,
  type CsvSchema,
  GPU_MEMORY_SCHEMA,
  GPU_PARITY_SCHEMA,
  GPU_PROGRAM_TIME_SCHEMA,
  GPU_STEPS_SCHEMA,
} from "../../src/bench/csv_schema.ts";
import { machineContext } from "../../src/bench/context.ts";
import { runStamp } from "../../src/cli/run_folder.ts";
import type { ProgramTime } from "../../src/backends/webgpu/gpu_time.ts";
import { reductionChunk } from "../../src/backends/webgpu/webgpu_programs.ts";
import {
  DISPATCHES_PER_SUBMIT,
} from "../../src/backends/webgpu/batched_submission.ts";

/** Network and batch sizes of each run size. */
export const GPU_SIZES = {
  /** For a dry run on a software adapter (lavapipe). */
  smoke: {
    channels: 8,
    layers: 3,
    imageSize: 16,
    memoryBatches: [2, 4],
    steps: { pcdarts: 4, darts1: 2 },
    timedSteps: 3,
    imagenet: { channels: 8, layers: 5, imageSize: 64, batch: 2, steps: 2 },
  },
  /** The paper's search network at batch 64 and 256. */
  paper: {
    channels: 16,
    layers: 8,
    imageSize: 32,
    memoryBatches: [64, 256],
    steps: { pcdarts: 256, darts1: 64 },
    timedSteps: 20,
    /** The paper's ImageNet search network at 128 images per card (its 1024 over 8). */
    imagenet: { channels: 16, layers: 8, imageSize: 224, batch: 128, steps: 5 },
  },
} as const;

/** Reads raw CIFAR-10 records into normalized NHWC pixels and labels, cropped to `size`. */
export function readCifarRecords(
  bytes: Uint8Array,
  size: number,
): { images: Float32Array; labels: Int32Array; count: number } {
  const decoded = decodeCifar10Records(bytes, "the image file");
  const { count } = decoded;
  const images = new Float32Array(count * size * size * 3);
  for (let n = 0; n < count; n++) {
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let c = 0; c < 3; c++) {
          const value = decoded.images[((n * 32 + y) * 32 + x) * 3 + c] / 255;
          images[((n * size + y) * size + x) * 3 + c] =
            (value - CIFAR10_MEAN[c]) / CIFAR10_STD[c];
        }
      }
    }
  }
  return { images, labels: Int32Array.from(decoded.labels), count };
}

/** Train and validation batches of step `i`, walking the images in order. */
function batchSource(
  data: { images: Float32Array; labels: Int32Array; count: number },
  size: number,
  batch: number,
): {
  batches: (step: number) => { train: TensorBatch; valid: TensorBatch };
  release: () => void;
} {
  if (data.count < batch) {
    throw new Error(`batch ${batch} needs at least ${batch} images`);
  }
  const pixels = size * size * 3;
  const take = (index: number): TensorBatch => {
    const images = new Float32Array(batch * pixels);
    const labels = new Int32Array(batch);
    for (let i = 0; i < batch; i++) {
      const n = (index * batch + i) % data.count;
      images.set(
        data.images.subarray(n * pixels, (n + 1) * pixels),
        i * pixels,
      );
      labels[i] = data.labels[n];
    }
    return {
      images: tf.tensor4d(images, [batch, size, size, 3]),
      labels: tf.tensor1d(labels, "int32"),
    };
  };
  let live: TensorBatch[] = [];
  const release = () => {
    tf.dispose(live.flatMap((b) => [b.images, b.labels]));
    live = [];
  };
  return {
    batches: (step) => {
      release();
      live = [take(2 * step), take(2 * step + 1)];
      return { train: live[0], valid: live[1] };
    },
    release,
  };
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0].slice(
    0,
    200,
  );
}

const GPU_BENCH_COMMAND = {
  name: "gpu-bench",
  invocation: "deno run -A benchmarks/gpu/gpu_bench.ts",
  synopsis: [
    "--data SUBSET.bin [--size smoke|paper] [--fixtures DIR,...] [--out DIR]",
  ],
  flags: {
    size: {
      type: "string",
      value: "smoke|paper",
      default: "smoke",
      help: "step shapes",
    },
    backend: {
      type: "string",
      value: "NAME",
      default: "webgpu",
      help: "where to run",
    },
    data: {
      type: "string",
      value: "SUBSET.bin",
      help: "CIFAR-10 records to feed the steps (required)",
    },
    fixtures: {
      type: "string",
      value: "DIR,...",
      help: "parity fixture folders to check first",
    },
    out: {
      type: "string",
      value: "DIR",
      default: ".",
      help: "where the CSVs go",
    },
    "deadline-s": {
      type: "string",
      value: "S",
      default: "330",
      help: "stop starting measurements after S seconds",
    },
  },
} as const satisfies CommandSpec;

/** One run of the GPU bench: where it writes, what it measures with. */
interface BenchRun {
  /** Output folder. */
  out: string;
  /** The run size. */
  size: typeof GPU_SIZES[keyof typeof GPU_SIZES];
  /** Backend name. */
  backend: string;
  /** The context columns every row starts with. */
  context: Record<string, string | number | boolean>;
  /** Whether a measurement starting now would pass `--deadline-s`. */
  pastDeadline(): boolean;
  /** One step measurement on the images, or why there is none. */
  measure(
    spec: Omit<StepSpec, "channels" | "layers" | "imageSize" | "batches">,
  ): Promise<{ m?: StepMeasurement; error: string }>;
}

/** Writes rows of a declared GPU schema, each after the run's context. */
async function writeRows(
  run: BenchRun,
  file: string,
  schema: CsvSchema,
  rows: Record<string, string | number | boolean>[],
): Promise<void> {
  const full = rows.map((r) => ({ ...run.context, ...r }));
  await writeCsvAtomic(`${run.out}/${file}`, columnsFor(schema, full), full);
}

/** 1. Parity of every fixture in the given folders. */
async function parityStage(run: BenchRun, folders: string): Promise<void> {
  const rows: Record<string, string | number | boolean>[] = [];
  const files = folders.split(",").flatMap((dir) =>
    [...Deno.readDirSync(dir)]
      .filter((e) => e.name.endsWith(".safetensors"))
      .map((e) => `${dir}/${e.name}`).sort()
  );
  for (const path of files) {
    const name = path.slice(path.lastIndexOf("/") + 1);
    const t0 = performance.now();
    const seconds = () => +((performance.now() - t0) / 1000).toFixed(1);
    try {
      const result = await checkFixture(await readSafetensors(path));
      const verdict = parityVerdict(result.rows);
      rows.push({
        fixture: name,
        max_output_error: verdict.maxOutputError,
        max_gradient_error: verdict.maxGradientError,
        ok: verdict.ok && result.failures.length === 0,
        seconds: seconds(),
        error: "",
      });
    } catch (e) {
      rows.push({
        fixture: name,
        max_output_error: NaN,
        max_gradient_error: NaN,
        ok: false,
        seconds: seconds(),
        error: errorText(e),
      });
    }
    const r = rows[rows.length - 1];
    console.log(
      `parity ${name}: outputs ${r.max_output_error}, gradients ${r.max_gradient_error} ${
        r.ok ? "ok" : "FAILED"
      } ${r.error}`,
    );
  }
  await writeRows(run, "ours_parity.csv", GPU_PARITY_SCHEMA, rows);
}

/** Prints one GPU-time profile and adds its programs to `rows`. */
function reportGpuTime(
  rows: Record<string, string | number>[],
  method: string,
  batch: number,
  reductions: string,
  programs: ProgramTime[],
): void {
  const total = programs.reduce((sum, p) => sum + p.ms, 0);
  const dispatches = programs.reduce((sum, p) => sum + p.dispatches, 0);
  console.log(
    `gpu time of one ${method} weight-step gradient at batch ${batch}, ${reductions} reductions: ${
      total.toFixed(1)
    } ms in ${dispatches} dispatches; largest:`,
  );
  for (const p of programs.slice(0, 10)) {
    console.log(
      `  ${p.program.padEnd(44)} ${String(p.dispatches).padStart(6)} ${
        p.ms.toFixed(2).padStart(9)
      } ms`,
    );
  }
  rows.push(...programs.map((p) => ({
    method,
    batch_size: batch,
    reductions,
    program: p.program,
    dispatches: p.dispatches,
    gpu_ms: +p.ms.toFixed(3),
  })));
}

/**
 * Where the GPU time of one pcdarts weight-step gradient goes, per program,
 * with two-level reductions and then one-level ones (one workgroup per
 * channel or filter tap), to choose between them on this card.
 */
async function gpuTimeStage(
  run: BenchRun,
  batch: number,
  twoLevel: ProgramTime[],
): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  reportGpuTime(
    rows,
    "pcdarts",
    batch,
    `two-level (chunks of ${reductionChunk()} pixels)`,
    twoLevel,
  );
  await writeRows(run, "ours_gpu_time.csv", GPU_PROGRAM_TIME_SCHEMA, rows);
  const before = setExecutionOptions({ reductionChunk: Infinity });
  try {
    const { m, error } = await run.measure({
      batchSize: batch,
      partialChannels: 4,
      edgeNormalization: true,
      warmup: 1,
      steps: 0,
      profile: false,
      gpuTime: true,
    });
    if (m?.gpuTime) {
      reportGpuTime(rows, "pcdarts", batch, "one-level", m.gpuTime);
      await writeRows(run, "ours_gpu_time.csv", GPU_PROGRAM_TIME_SCHEMA, rows);
    } else console.log(`one-level reductions: ${error}`);
  } finally {
    setExecutionOptions(before);
  }
}

/** 2. Step times on real images (before memory: they are the headline). */
async function stepStage(run: BenchRun): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  const webgpu = run.backend === "webgpu";
  const write = () => writeRows(run, "ours_steps.csv", GPU_STEPS_SCHEMA, rows);
  for (const method of ["pcdarts", "darts1"] as const) {
    const batch = run.size.steps[method];
    const row: Record<string, string | number> = {
      method,
      submission: webgpu
        ? `batched (${DISPATCHES_PER_SUBMIT} per submit)`
        : "backend's own",
      k: method === "pcdarts" ? 4 : 1,
      edge_normalization: String(method === "pcdarts"),
      batch_size: batch,
      median_ms: "",
      consecutive_steps: run.size.timedSteps,
      consecutive_total_ms: "",
      error: "",
    };
    const { m, error } = await run.measure({
      batchSize: batch,
      partialChannels: method === "pcdarts" ? 4 : 1,
      edgeNormalization: method === "pcdarts",
      warmup: 1,
      steps: run.size.timedSteps,
      profile: false,
      gpuTime: method === "pcdarts" && webgpu,
    });
    row.error = error;
    if (m?.gpuTime) await gpuTimeStage(run, batch, m.gpuTime);
    if (m) {
      row.median_ms = +m.medianMs.toFixed(1);
      row.consecutive_total_ms = +m.allMs.reduce((a, b) => a + b, 0).toFixed(1);
    }
    console.log(
      `step ${method} batch ${batch}: median ${row.median_ms} ms, ${run.size.timedSteps} steps ${row.consecutive_total_ms} ms ${row.error}`,
    );
    rows.push(row);
    // After every row: a measurement that kills the process loses only itself.
    await write();
    if (method === "pcdarts" && webgpu) {
      // The same steps with tfjs' own submission: what batching saves here.
      const steps = Math.min(5, run.size.timedSteps);
      const before = setExecutionOptions({ batchedSubmission: false });
      let plain;
      try {
        plain = await run.measure({
          batchSize: batch,
          partialChannels: 4,
          edgeNormalization: true,
          warmup: 1,
          steps,
          profile: false,
        });
      } finally {
        setExecutionOptions(before);
      }
      const tfjsRow = {
        ...row,
        submission: "tfjs (15 per submit)",
        median_ms: plain.m ? +plain.m.medianMs.toFixed(1) : "",
        consecutive_steps: steps,
        consecutive_total_ms: plain.m
          ? +plain.m.allMs.reduce((a, b) => a + b, 0).toFixed(1)
          : "",
        error: plain.error,
      };
      console.log(
        `step pcdarts batch ${batch}, tfjs submission: median ${tfjsRow.median_ms} ms ${tfjsRow.error}`,
      );
      rows.push(tfjsRow);
      await write();
    }
  }
}

/** ImageNet's classes: the classifier and the random labels of the ImageNet step. */
const IMAGENET_CLASSES = 1000;

/** 3. The ImageNet search step on seeded random images. */
async function imagenetStepStage(run: BenchRun): Promise<void> {
  const size = run.size.imagenet;
  const row: Record<string, string | number> = {
    method: "pcdarts",
    submission: run.backend === "webgpu"
      ? `batched (${DISPATCHES_PER_SUBMIT} per submit)`
      : "backend's own",
    k: 2,
    edge_normalization: "true",
    batch_size: size.batch,
    median_ms: "",
    consecutive_steps: size.steps,
    consecutive_total_ms: "",
    error: "",
  };
  if (run.pastDeadline()) row.error = "skipped: past the time budget";
  else {
    try {
      const m = await measureSearchStep({
        channels: size.channels,
        layers: size.layers,
        imageSize: size.imageSize,
        stem: "imagenet",
        numClasses: IMAGENET_CLASSES,
        batchSize: size.batch,
        partialChannels: 2,
        edgeNormalization: true,
        warmup: 1,
        steps: size.steps,
        profile: false,
      });
      row.median_ms = +m.medianMs.toFixed(1);
      row.consecutive_total_ms = +m.allMs.reduce((a, b) => a + b, 0).toFixed(1);
    } catch (e) {
      row.error = errorText(e);
    }
  }
  console.log(
    `step pcdarts (ImageNet ${size.imageSize}x${size.imageSize}, K=2) batch ${size.batch}: median ${row.median_ms} ms, ${size.steps} steps ${row.consecutive_total_ms} ms ${row.error}`,
  );
  const full: Record<string, string | number | boolean>[] = [{
    ...run.context,
    dataset: "imagenet-random",
    image_size: size.imageSize,
    channels: size.channels,
    layers: size.layers,
    ...row,
  }];
  await writeCsvAtomic(
    `${run.out}/ours_imagenet_steps.csv`,
    columnsFor(GPU_STEPS_SCHEMA, full),
    full,
  );
}

/** 4. Memory: batch by batch, K from 8 down, so the largest comes last. */
async function memoryStage(run: BenchRun): Promise<void> {
  const rows: Record<string, string | number>[] = [];
  for (const batch of run.size.memoryBatches) {
    for (const k of [8, 4, 2, 1]) {
      const row: Record<string, string | number> = {
        k,
        batch_size: batch,
        peak_bytes: "",
        peak_buffer_bytes: "",
        kernels: "",
        seconds: "",
        error: "",
      };
      const t0 = performance.now();
      const { m, error } = await run.measure({
        batchSize: batch,
        partialChannels: k,
        edgeNormalization: true,
        warmup: 0,
        steps: 0,
      });
      row.error = error;
      if (m) {
        row.peak_bytes = m.peakBytes;
        row.peak_buffer_bytes = m.peakBufferBytes;
        row.kernels = m.kernels;
      }
      row.seconds = +((performance.now() - t0) / 1000).toFixed(1);
      console.log(
        `memory K=${k} batch ${batch}: ${row.peak_bytes} bytes, ${row.peak_buffer_bytes} in buffers ${row.error}`,
      );
      rows.push(row);
      await writeRows(run, "ours_memory.csv", GPU_MEMORY_SCHEMA, rows);
    }
  }
}

async function main() {
  const parsed = parseCommand(GPU_BENCH_COMMAND, Deno.args);
  if (typeof parsed === "number") Deno.exit(parsed);
  const { values } = parsed;
  if (!(values.size! in GPU_SIZES)) {
    throw new Error(`unknown --size "${values.size}"; choose smoke or paper`);
  }
  if (!values.data) {
    throw new Error("--data SUBSET.bin (CIFAR-10 records) is required");
  }
  const size = GPU_SIZES[values.size as keyof typeof GPU_SIZES];
  const started = performance.now();
  const deadlineMs = Number(values["deadline-s"]) * 1000;
  const backend = await initBackend(values.backend!);
  const device = await describeDevice(backend.name);
  console.log(`gpu_bench: ${backend.name} on ${device}`);
  await Deno.mkdir(values.out!, { recursive: true });
  await Deno.writeTextFile(
    `${values.out}/ours_device.txt`,
    `${backend.name}\t${device}\n`,
  );
  const data = readCifarRecords(
    await Deno.readFile(values.data),
    size.imageSize,
  );
  const network = {
    channels: size.channels,
    layers: size.layers,
    imageSize: size.imageSize,
  };
  const run: BenchRun = {
    out: values.out!,
    size,
    backend: backend.name,
    context: {
      ...await machineContext(`gpu-${values.size}-${runStamp()}`, backend),
      dataset: "cifar10",
      image_size: size.imageSize,
      channels: size.channels,
      layers: size.layers,
      seed: 0,
    },
    pastDeadline: () => performance.now() - started >= deadlineMs,
    measure: async (spec) => {
      if (performance.now() - started >= deadlineMs) {
        return { error: "skipped: past the time budget" };
      }
      const source = batchSource(data, size.imageSize, spec.batchSize);
      try {
        const m = await measureSearchStep({
          ...network,
          ...spec,
          batches: source.batches,
        });
        return { m, error: "" };
      } catch (e) {
        return { error: errorText(e) };
      } finally {
        source.release();
      }
    },
  };
  if (values.fixtures) await parityStage(run, values.fixtures);
  await stepStage(run);
  await imagenetStepStage(run);
  await memoryStage(run);
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(`gpu_bench: ${errorText(e)}`);
    Deno.exit(1);
  }
}
