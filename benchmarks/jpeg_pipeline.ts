/**
 * `deno task bench:jpeg`: images per second for ImageNet's data path on this
 * machine. It writes photo-sized JPEGs (500x375, quality 90, 4:2:0, the shape
 * of a typical ILSVRC-2012 image) made from CIFAR-10 images upscaled with
 * seeded noise, then times:
 *
 * - decoding with each candidate library, one thread: TurboJPEG (Debian's
 *   libturbojpeg0 through Deno's FFI) and jpeg-js (pure JavaScript, npm);
 * - decoding plus the training transform (random-resized crop to 224, flip,
 *   colour jitter) and plus the validation transform (resize 256, centre 224);
 * - decoding plus the training transform in one worker per core, together;
 * - beside them, the images per second an ImageNet search step consumes (the
 *   paper's network: C=16, 8 layers, K=2, edge normalization, 224x224; a weight
 *   and an architecture batch a step), measured at a small batch.
 */
import { Worker } from "node:worker_threads";
import { type CommandSpec, parseCommand } from "../src/cli/command_spec.ts";
import { loadCifar10 } from "../src/data/cifar10.ts";
import { resolveDataDir } from "../src/data/data_dir.ts";
import { encodeJpeg, JpegDecoder } from "../src/data/jpeg/turbojpeg.ts";
import {
  resizeRegion,
  trainTransform,
  validationTransform,
} from "../src/data/imagenet/transforms.ts";
import { Random } from "../src/ops/random.ts";
import jpeg from "jpeg-js";
import { initBackend } from "../src/backends/init.ts";
import { measureSearchStep } from "../src/bench/step_measurement.ts";

const COMMAND = {
  name: "bench:jpeg",
  synopsis: ["[--data-dir DIR] [--images N] [--workers N]"],
  flags: {
    "data-dir": {
      type: "string",
      value: "DIR",
      help: "CIFAR-10 folder (else PCDARTS_DATA_DIR, else ./data)",
    },
    images: { type: "string", value: "N", default: "64", help: "JPEGs made" },
    workers: {
      type: "string",
      value: "N",
      default: String(navigator.hardwareConcurrency),
      help: "workers for the parallel rate",
    },
    backend: {
      type: "string",
      value: "NAME",
      default: "auto",
      help: "the backend the ImageNet search step is measured on",
    },
    "step-batch": {
      type: "string",
      value: "N",
      default: "16",
      help: "the measured step's batch (each of its two batches)",
    },
  },
} as const satisfies CommandSpec;

/** Photo-sized JPEGs from CIFAR-10 images. */
async function makeJpegs(
  dataDir: string,
  count: number,
): Promise<Uint8Array[]> {
  const cifar = await loadCifar10(dataDir, "test", { verify: false });
  const random = new Random(1);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const small = {
      width: 32,
      height: 32,
      pixels: cifar.images.subarray(i * 3072, (i + 1) * 3072),
    };
    const big = resizeRegion(small, 0, 0, 32, 32, 500, 375);
    for (let p = 0; p < big.pixels.length; p++) {
      const v = big.pixels[p] + 24 * (random.uniform() - 0.5);
      big.pixels[p] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
    out.push(encodeJpeg(big.pixels, 500, 375, { format: "rgb", quality: 90 }));
  }
  return out;
}

function rate(count: number, ms: number): number {
  return Math.round((count / ms) * 1000);
}

/** Images per second of `f` over every file, at least `minMs` long. */
function time(files: Uint8Array[], f: (bytes: Uint8Array, i: number) => void) {
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < 2000) {
    for (let i = 0; i < files.length; i++) f(files[i], done + i);
    done += files.length;
  }
  return rate(done, performance.now() - started);
}

if (import.meta.main) {
  const args = parseCommand(COMMAND, Deno.args);
  if (typeof args === "number") Deno.exit(args);
  const files = await makeJpegs(
    resolveDataDir(args.values["data-dir"]),
    Number(args.values.images),
  );
  const kib = files.reduce((s, f) => s + f.length, 0) / files.length / 1024;
  console.log(
    `${files.length} JPEGs of 500x375, ${kib.toFixed(0)} KiB each on average`,
  );
  const decoder = new JpegDecoder();
  const rows = [
    ["decode, TurboJPEG (FFI)", time(files, (b) => decoder.decode(b))],
    [
      "decode, jpeg-js",
      time(
        files,
        (b) => jpeg.decode(b, { useTArray: true, formatAsRGBA: false }),
      ),
    ],
    [
      "decode + training transform (TurboJPEG)",
      time(files, (b, i) => trainTransform(decoder.decode(b), new Random(i))),
    ],
    [
      "decode + validation transform (TurboJPEG)",
      time(files, (b) => validationTransform(decoder.decode(b))),
    ],
  ] as [string, number][];
  decoder.close();
  const workers = Number(args.values.workers);
  const started = performance.now();
  const counts = await Promise.all(
    Array.from(
      { length: workers },
      () =>
        new Promise<number>((resolve, reject) => {
          const worker = new Worker(
            new URL("./jpeg_pipeline_worker.ts", import.meta.url),
          );
          worker.once("message", (count: number) => {
            resolve(count);
            void worker.terminate();
          });
          worker.once("error", reject);
          worker.postMessage(files);
        }),
    ),
  );
  rows.push([
    `decode + training transform, ${workers} workers together`,
    rate(counts.reduce((a, b) => a + b, 0), performance.now() - started),
  ]);
  const backend = await initBackend(args.values.backend!);
  const batch = Number(args.values["step-batch"]);
  const step = await measureSearchStep({
    channels: 16,
    layers: 8,
    batchSize: batch,
    imageSize: 224,
    partialChannels: 2,
    edgeNormalization: true,
    stem: "imagenet",
    recomputeCells: true,
    steps: 2,
    warmup: 1,
    profile: false,
  });
  rows.push([
    `ImageNet search step, batch ${batch}, ${backend.name} (consumes)`,
    rate(2 * batch, step.medianMs),
  ]);
  for (const [what, perSecond] of rows) {
    console.log(`${what.padEnd(56)} ${String(perSecond).padStart(6)} images/s`);
  }
}
