/**
 * The `config.json` of a run folder (search or training): written when a run
 * starts, read back by `--resume`, which continues on the data folder the run
 * started with unless the flags say otherwise.
 */
import type { FlagSpec } from "./command_spec.ts";
import { numberFlag } from "./flags.ts";

export { writeRunConfig };
import type { BackendInfo } from "../backends/init.ts";
import { writeRunConfig } from "../run/run_config_file.ts";
import { resolveDataDir } from "../data/data_dir.ts";

/** A UTC timestamp for run ids: `20261128-061046`. */
export function runStamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(
    0,
    15,
  );
}

/**
 * The flags search and train share: the data, the run folder, the network and
 * data sizes, progress.
 */
export const RUN_FLAGS = {
  "data-dir": {
    type: "string",
    value: "DIR",
    help: "data folder (else PCDARTS_DATA_DIR, else ./data)",
  },
  "no-verify": {
    type: "boolean",
    help: "skip the md5 check of the data files",
  },
  resume: {
    type: "string",
    value: "DIR",
    help: "continue the run in DIR from its last checkpoint",
  },
  epochs: { type: "string", value: "N", help: "epochs" },
  "batch-size": { type: "string", value: "N", help: "images per batch" },
  channels: { type: "string", value: "N", help: "initial channels C" },
  layers: { type: "string", value: "N", help: "cells" },
  subset: {
    type: "string",
    value: "N|all",
    help: "class-balanced subset of the training images",
  },
  "image-side": {
    type: "string",
    value: "N|native",
    help: "average the images down to N×N pixels (16 at the cpu size)",
  },
  quiet: { type: "boolean", help: "no progress output" },
  "checkpoint-every": {
    type: "string",
    value: "N",
    help: "also checkpoint inside an epoch every N steps",
  },
  "checkpoint-minutes": {
    type: "string",
    value: "X",
    help:
      "checkpoint inside an epoch after X minutes of work since the\nlast checkpoint (default 10; 0: only by --checkpoint-every)",
  },
} as const satisfies Record<string, FlagSpec>;

/** How often a run checkpoints inside an epoch. */
export interface CheckpointOptions {
  /** Every this many steps (undefined: by time alone). */
  checkpointEvery?: number;
  /** After this many seconds of work (undefined: the default). */
  checkpointSeconds?: number;
}

/**
 * `--checkpoint-every` and `--checkpoint-minutes`, checked; throws naming the
 * flag.
 */
export function checkpointOptions(
  v: { "checkpoint-every"?: string; "checkpoint-minutes"?: string },
): CheckpointOptions {
  const every = numberFlag(v["checkpoint-every"], "checkpoint-every");
  if (every !== undefined && !(Number.isInteger(every) && every >= 0)) {
    throw new Error(
      `--checkpoint-every takes a whole number of steps, got ${every}`,
    );
  }
  const minutes = numberFlag(v["checkpoint-minutes"], "checkpoint-minutes");
  if (minutes !== undefined && !(minutes >= 0)) {
    throw new Error(
      `--checkpoint-minutes takes minutes of at least 0, got ${minutes}`,
    );
  }
  return {
    checkpointEvery: every,
    checkpointSeconds: minutes === undefined ? undefined : minutes * 60,
  };
}

/**
 * Reads a run's configuration for `--resume`; the data folder and the md5 check
 * are the run's own unless `--data-dir` or `--no-verify` were given.
 */
export async function readRunConfig<Config>(
  outDir: string,
  flags: { dataDir?: string; noVerify?: boolean },
  defaults: { dataDir: string; verify: boolean },
  template: (saved: Record<string, unknown>) => Config,
): Promise<{ config: Config; dataDir: string; verify: boolean }> {
  const file = `${outDir}/config.json`;
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new Error(
        `${outDir} is not a run folder: it has no config.json (--resume takes the folder a run wrote)`,
      );
    }
    throw error;
  }
  let saved;
  try {
    saved = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${file} is damaged: not JSON (${(error as Error).message})`,
    );
  }
  if (typeof saved?.config !== "object" || saved.config === null) {
    throw new Error(`${file} is damaged: it has no "config" object`);
  }
  return {
    config: checkConfig(saved.config, template, file),
    dataDir: !flags.dataDir && saved.data?.dir
      ? saved.data.dir
      : defaults.dataDir,
    verify: !flags.noVerify && saved.data?.verify === false
      ? false
      : defaults.verify,
  };
}

/**
 * `saved` checked against the configuration its own method and size resolve
 * to (`template`): every field present, with the template's type.
 */
export function checkConfig<Config>(
  saved: Record<string, unknown>,
  template: (saved: Record<string, unknown>) => Config,
  file: string,
): Config {
  let expected: Config;
  try {
    expected = template(saved);
  } catch (error) {
    throw new Error(`${file} is damaged: ${(error as Error).message}`);
  }
  for (
    const [key, value] of Object.entries(expected as Record<string, unknown>)
  ) {
    if (!(key in saved)) {
      throw new Error(`${file} is damaged: "config.${key}" is missing`);
    }
    const found = saved[key];
    if (value !== null && found !== null && typeof found !== typeof value) {
      throw new Error(
        `${file} is damaged: "config.${key}" is ${
          JSON.stringify(found)
        }, not a ${typeof value}`,
      );
    }
  }
  return saved as Config;
}

/** A run's configuration and folder, new from flags or resumed from its folder. */
export interface OpenedRun<Config> {
  /** The configuration. */
  config: Config;
  /** The run folder. */
  outDir: string;
  /** The data folder. */
  dataDir: string;
  /** Whether the data files' md5 sums are checked. */
  verify: boolean;
  /** Whether the run continues from its folder's checkpoint. */
  resume: boolean;
}

/** The flags every run command reads to open its run. */
export interface RunFlagValues {
  resume?: string;
  out?: string;
  "data-dir"?: string;
  "no-verify"?: boolean;
}

/**
 * Opens a search or training run: with `--resume DIR` from the folder's
 * config.json (`fromSaved` re-resolves it, to check it), else from the flags
 * (`fromFlags` returns the configuration and the default folder). An error
 * is printed as `<command>: message` and its exit status returned: 1 for a
 * damaged run folder (data), 2 with the usage for a bad flag.
 */
export async function openRun<Config>(
  command: string,
  usage: string,
  v: RunFlagValues,
  fromFlags: () => { config: Config; defaultOutDir: string },
  fromSaved: (saved: Record<string, unknown>) => Config,
): Promise<OpenedRun<Config> | number> {
  const dataDir = resolveDataDir(v["data-dir"]);
  const verify = !v["no-verify"];
  try {
    if (v.resume) {
      const read = await readRunConfig<Config>(
        v.resume,
        { dataDir: v["data-dir"], noVerify: v["no-verify"] },
        { dataDir, verify },
        fromSaved,
      );
      return { ...read, outDir: v.resume, resume: true };
    }
    const { config, defaultOutDir } = fromFlags();
    return {
      config,
      outDir: v.out ?? defaultOutDir,
      dataDir,
      verify,
      resume: false,
    };
  } catch (error) {
    const message = `${command}: ${(error as Error).message}`;
    console.error(v.resume ? message : `${message}\n\n${usage}`);
    return v.resume ? 1 : 2;
  }
}

/** Makes the run folder; a new run writes its config.json there. */
export async function startRunFolder<Config>(
  run: OpenedRun<Config>,
  backend: BackendInfo,
  extra?: Record<string, unknown>,
): Promise<void> {
  await Deno.mkdir(run.outDir, { recursive: true });
  if (run.resume) return;
  await writeRunConfig(run.outDir, {
    config: run.config,
    backend,
    dataDir: run.dataDir,
    verify: run.verify,
    extra,
  });
}
