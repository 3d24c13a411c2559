/**
 * Every size a command takes, in one table: what `--size` and `--config` mean
 * to search, train, bench and the step suites. A name means one shape within
 * its command only (`small` is 2,000 images of a search, 1,000 of a training,
 * a batch of 16 in the bench, a C=16 step): the table gives each use its row.
 */
import { resolveSearchConfig, SEARCH_SIZES } from "../search/search_config.ts";
import { resolveTrainConfig, TRAIN_SIZES } from "../train/train_config.ts";
import {
  BENCH_SHAPES,
  type BenchSize,
  STEP_CONFIGS,
} from "../bench/suite_measurements.ts";
import { TRAIN_STEP_CONFIGS } from "../bench/train_step_measurement.ts";
import { formatMarkdownTable } from "../io/text_table.ts";

/** One size of one use. */
export interface SizeRow {
  /** The command and flag that take it. */
  use: string;
  /** Its name there. */
  name: string;
  channels: number;
  layers: number;
  imageSide: number;
  batch: number;
  /** Images per epoch (search: weight and architecture halves together). */
  images: string;
  epochs: string;
}

/** Every use's sizes, from the definitions the commands read. */
export function sizeRows(): SizeRow[] {
  const rows: SizeRow[] = [];
  for (const size of SEARCH_SIZES) {
    const c = resolveSearchConfig("pcdarts", size);
    rows.push({
      use: "search --size",
      name: size,
      channels: c.channels,
      layers: c.layers,
      imageSide: c.imageSide ?? 32,
      batch: c.batchSize,
      images: (c.subset ?? 50000).toLocaleString("en-US"),
      epochs: String(c.epochs),
    });
  }
  for (const size of TRAIN_SIZES) {
    const c = resolveTrainConfig(size, "PC_DARTS_cifar");
    rows.push({
      use: "train --size",
      name: size,
      channels: c.channels,
      layers: c.layers,
      imageSide: c.imageSide ?? 32,
      batch: c.batchSize,
      images: (c.subset ?? 50000).toLocaleString("en-US"),
      epochs: String(c.epochs),
    });
  }
  for (const [name, s] of Object.entries(BENCH_SHAPES)) {
    rows.push({
      use: "bench --size (memory, batch, cost)",
      name: name as BenchSize,
      channels: s.channels,
      layers: s.layers,
      imageSide: s.imageSize,
      batch: s.batch,
      images: "random",
      epochs: "",
    });
  }
  for (const [name, s] of Object.entries(STEP_CONFIGS)) {
    rows.push({
      use: "bench --suite step --config",
      name,
      channels: s.channels,
      layers: s.layers,
      imageSide: s.imageSize,
      batch: s.batchSize,
      images: "random",
      epochs: "",
    });
  }
  for (const [name, s] of Object.entries(TRAIN_STEP_CONFIGS)) {
    rows.push({
      use: "bench --suite train-step --config",
      name,
      channels: s.channels,
      layers: s.layers,
      imageSide: s.imageSize,
      batch: s.batchSize,
      images: "random",
      epochs: "",
    });
  }
  return rows;
}

/** `docs/sizes.md`. */
export function sizesMarkdown(): string {
  const header = [
    "use",
    "name",
    "C",
    "cells",
    "image side",
    "batch",
    "images",
    "epochs",
  ];
  return [
    "# Sizes",
    "",
    "Generated from the size definitions by `deno task docs`; do not edit.",
    "",
    "A size's name means one shape within the command that takes it: the search's",
    "`small` and the step suite's `small` are different networks. The search and",
    "training rows are for pcdarts and `PC_DARTS_cifar` on CIFAR-10 (a search splits",
    "its images in half: weights and architecture); the benchmarks draw random",
    "images.",
    "",
    formatMarkdownTable(
      header,
      sizeRows().map((r) => [
        `\`${r.use}\``,
        `\`${r.name}\``,
        String(r.channels),
        String(r.layers),
        String(r.imageSide),
        String(r.batch),
        r.images,
        r.epochs,
      ]),
    ),
    "",
  ].join("\n");
}
