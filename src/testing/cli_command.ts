/**
 * Running a command-line tool of `src/cli/` in a child process, as a user
 * would, for tests.
 */

const root = new URL("../..", import.meta.url).pathname;

/** The child process running `src/cli/<script>` with `args` (all permissions). */
export function cliCommand(script: string, args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}src/cli/${script}`, ...args],
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs `src/cli/<script>`; its exit code and its stdout then stderr. */
export async function runCli(
  script: string,
  args: string[],
): Promise<{ code: number; text: string }> {
  const out = await cliCommand(script, args).output();
  return {
    code: out.code,
    text: new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr),
  };
}
