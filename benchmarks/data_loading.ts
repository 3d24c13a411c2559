/**
 * `deno task bench:data`: images per second for loading and augmenting one
 * epoch of the 25,000 weight-training images of the search split at batch 256
 * (crop + flip, as in the search; and with cutout, as in training from scratch).
 * Reading and verifying the files is timed separately.
 */
import { type CommandSpec, parseCommand } from "../src/cli/command_spec.ts";
import { loadCifar10 } from "../src/data/cifar10.ts";
import { resolveDataDir } from "../src/data/data_dir.ts";
import { range, splitTrainValidation } from "../src/data/splits.ts";
import {
  BatchLoader,
  SEARCH_AUGMENTATION,
  TRAIN_AUGMENTATION,
} from "../src/data/batches.ts";

const COMMAND = {
  name: "bench:data",
  synopsis: ["[--data-dir DIR] [--batch-size N] [--epochs N]"],
  flags: {
    "data-dir": {
      type: "string",
      value: "DIR",
      help: "data folder (else PCDARTS_DATA_DIR, else ./data)",
    },
    "batch-size": {
      type: "string",
      value: "N",
      default: "256",
      help: "images per batch",
    },
    epochs: { type: "string", value: "N", default: "3", help: "epochs timed" },
  },
} as const satisfies CommandSpec;
const args = parseCommand(COMMAND, Deno.args);
if (typeof args === "number") Deno.exit(args);
const dataDir = resolveDataDir(args.values["data-dir"]);
let started = performance.now();
const train = await loadCifar10(dataDir, "train");
const loadSeconds = (performance.now() - started) / 1000;
console.log(
  `read and verified ${train.count} images in ${loadSeconds.toFixed(2)} s`,
);
const { train: weightIndices } = splitTrainValidation(range(train.count), 0.5);
const batchSize = Number(args.values["batch-size"]);
for (
  const [label, augment] of [["crop+flip", SEARCH_AUGMENTATION], [
    "crop+flip+cutout",
    TRAIN_AUGMENTATION,
  ]] as const
) {
  const loader = new BatchLoader(train, weightIndices, {
    batchSize,
    seed: 1,
    augment,
  });
  const rates: number[] = [];
  for (let epoch = 0; epoch < Number(args.values.epochs); epoch++) {
    started = performance.now();
    let images = 0;
    for (const batch of loader.epoch(epoch)) images += batch.size;
    rates.push(images / ((performance.now() - started) / 1000));
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)];
  console.log(
    `data: ${label} ${weightIndices.length} images/epoch, batch ${batchSize}: ${
      Math.round(median)
    } images/s (median of ${rates.length} epochs)`,
  );
}
