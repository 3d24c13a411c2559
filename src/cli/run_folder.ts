/**
 * The `config.json` of a run folder (search or training): written when a run
 * starts, read back by `--resume`, which continues on the data folder the run
 * started with unless the flags say otherwise.
 */
import type { BackendInfo } from "../backend.ts";
import { runEnvironment } from "../environment.ts";
import { writeFileAtomic } from "../atomic_write.ts";

/** A UTC timestamp for run ids: `20261128-061046`. */
export function runStamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(
    0,
    15,
  );
}

/** Writes `outDir/config.json` with the configuration, backend, data folder and environment. */
export async function writeRunConfig(
  outDir: string,
  fields: {
    config: unknown;
    backend: BackendInfo;
    dataDir: string;
    verify: boolean;
    extra?: Record<string, unknown>;
  },
): Promise<void> {
  const { backend, dataDir, verify } = fields;
  await writeFileAtomic(
    `${outDir}/config.json`,
    JSON.stringify(
      {
        config: fields.config,
        ...fields.extra,
        backend: {
          name: backend.name,
          device: backend.device,
          gpu: backend.gpu,
        },
        data: {
          dir: await Deno.realPath(dataDir).catch(() => dataDir),
          verify,
        },
        environment: await runEnvironment(),
        created: new Date().toISOString(),
      },
      null,
      2,
    ) + "\n",
  );
}

/**
 * Reads a run's configuration for `--resume`; the data folder and the md5 check
 * are the run's own unless `--data-dir` or `--no-verify` were given.
 */
export async function readRunConfig<Config>(
  outDir: string,
  flags: { dataDir?: string; noVerify?: boolean },
  defaults: { dataDir: string; verify: boolean },
): Promise<{ config: Config; dataDir: string; verify: boolean }> {
  const saved = JSON.parse(await Deno.readTextFile(`${outDir}/config.json`));
  return {
    config: saved.config as Config,
    dataDir: !flags.dataDir && saved.data?.dir
      ? saved.data.dir
      : defaults.dataDir,
    verify: !flags.noVerify && saved.data?.verify === false
      ? false
      : defaults.verify,
  };
}
