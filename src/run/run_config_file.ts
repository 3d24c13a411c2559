/**
 * A run folder's `config.json`: the run's configuration with the backend,
 * data folder, execution options and environment it started with. `--resume`
 * reads it back (`cli/run_folder.ts`).
 */
import type { BackendInfo } from "../backends/init.ts";
import { currentExecutionOptions } from "../ops/execution_options.ts";
import { runEnvironment } from "./environment.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";

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
        execution: currentExecutionOptions(),
        environment: await runEnvironment(),
        created: new Date().toISOString(),
      },
      null,
      2,
    ) + "\n",
  );
}
