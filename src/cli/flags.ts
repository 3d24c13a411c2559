/** Command-line flag parsing shared by the commands. */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** A numeric flag's value, undefined when absent; a clear error when not a number. */
export function numberFlag(
  value: string | undefined,
  name: string,
): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) {
    throw new Error(`--${name} must be a number, got "${value}"`);
  }
  return n;
}

/**
 * Parses a command's arguments with `--help`/`-h` added. Returns the parsed
 * flags, or the exit status when there is nothing to run: 0 after printing the
 * usage for `--help`, 2 after printing what was wrong and the usage.
 */
export function parseCommandLine<T extends ParseArgsConfig>(
  command: string,
  usage: string,
  config: T,
): ReturnType<typeof parseArgs<T>> | number {
  let parsed;
  try {
    parsed = parseArgs({
      ...config,
      options: { ...config.options, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    console.error(`${command}: ${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(usage);
    return 0;
  }
  return parsed as ReturnType<typeof parseArgs<T>>;
}
