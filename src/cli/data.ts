/**
 * `deno task data NAME [--data-dir DIR]` downloads a data set of the registry
 * into the data folder; `deno task data verify NAME [--data-dir DIR]` checks
 * one and names every missing, truncated or corrupt file. The data folder is `--data-dir`, else `PCDARTS_DATA_DIR`, else `./data`;
 * for CIFAR-10 it may be the `cifar-10-batches-bin` folder itself or its parent.
 */
import { resolveDataDir } from "../data/data_dir.ts";
import {
  datasetChoicesText,
  datasetEntry,
  datasetNames,
} from "../data/dataset_registry.ts";
import { type CommandSpec, parseCommand, usageOf } from "./command_spec.ts";

/** The data command's flags. */
export const DATA_COMMAND = {
  name: "data",
  synopsis: [
    `${datasetNames("download").join("|")} [--data-dir DIR]`,
    `verify ${datasetNames("download").join("|")} [--data-dir DIR]`,
  ],
  about: `The first downloads a data set (${
    datasetChoicesText("download")
  }), the second checks its files.`,
  positionals: true,
  flags: {
    "data-dir": {
      type: "string",
      value: "DIR",
      help: "data folder (else PCDARTS_DATA_DIR, else ./data)",
    },
  },
} as const satisfies CommandSpec;

const USAGE = usageOf(DATA_COMMAND);

/** Runs the data command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(DATA_COMMAND, args);
  if (typeof parsed === "number") return parsed;
  const [first, second] = parsed.positionals;
  const verifying = first === "verify";
  const dataset = verifying ? second : first;
  let entry;
  try {
    entry = datasetEntry(dataset, "download");
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const dataDir = resolveDataDir(parsed.values["data-dir"]);
  return verifying
    ? await entry.verify!(dataDir)
    : await entry.download!(dataDir);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
