/**
 * Running a command-line tool of `src/cli/` in a child process, as a user
 * would, for tests.
 */

const root = new URL("../..", import.meta.url).pathname;

/** How the child runs. */
export interface CliOptions {
  /**
   * Run with the settings a user gets: without the test task's pinned
   * `PCDARTS_THREADS` (so wasm takes its default thread count).
   */
  defaults?: boolean;
  /** Kill the child after this many milliseconds (it hung). */
  timeoutMs?: number;
}

/** The environment of a child that runs at the user's defaults. */
function defaultEnvironment(): Record<string, string> {
  const env = Deno.env.toObject();
  delete env.PCDARTS_THREADS;
  return env;
}

/** The child process running `src/cli/<script>` with `args` (all permissions). */
export function cliCommand(
  script: string,
  args: string[],
  options: CliOptions = {},
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}src/cli/${script}`, ...args],
    stdout: "piped",
    stderr: "piped",
    ...(options.timeoutMs === undefined
      ? {}
      : { signal: AbortSignal.timeout(options.timeoutMs) }),
    ...(options.defaults ? { clearEnv: true, env: defaultEnvironment() } : {}),
  });
}

/**
 * Runs `src/cli/<script>`; its exit code and its stdout then stderr (a child
 * killed at `timeoutMs` says so in its text).
 */
export async function runCli(
  script: string,
  args: string[],
  options: CliOptions = {},
): Promise<{ code: number; text: string }> {
  const started = performance.now();
  const out = await cliCommand(script, args, options).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  const killed = out.signal !== null && options.timeoutMs !== undefined &&
    performance.now() - started >= options.timeoutMs;
  return {
    code: out.code,
    text: killed
      ? `${text}\n(killed: no exit within ${options.timeoutMs} ms)`
      : text,
  };
}
