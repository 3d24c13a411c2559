/** Interrupting a run the hard way, for resume tests. */

/**
 * Spawns `command`, waits until `outDir/epochs.csv` holds the first epoch's row
 * (written after that epoch's checkpoint), kills the process with SIGKILL and
 * returns its exit status.
 */
export async function killAfterFirstEpoch(
  command: Deno.Command,
  outDir: string,
): Promise<Deno.CommandStatus> {
  const child = command.spawn();
  while (true) {
    await new Promise((r) => setTimeout(r, 50));
    let lines = 0;
    try {
      lines =
        (await Deno.readTextFile(`${outDir}/epochs.csv`)).trim().split("\n")
          .length;
    } catch {
      // not written yet
    }
    if (lines >= 2) break;
  }
  child.kill("SIGKILL");
  return await child.status;
}

/**
 * Spawns `command`, waits until `outDir/checkpoint.safetensors` is written
 * while `outDir/epochs.csv` is not (a checkpoint inside the first epoch),
 * kills the process with SIGKILL and returns its exit status.
 */
export async function killInsideFirstEpoch(
  command: Deno.Command,
  outDir: string,
): Promise<Deno.CommandStatus> {
  const child = command.spawn();
  const exists = async (path: string) => {
    try {
      await Deno.stat(path);
      return true;
    } catch {
      return false;
    }
  };
  while (true) {
    await new Promise((r) => setTimeout(r, 20));
    if (
      await exists(`${outDir}/checkpoint.safetensors`) &&
      !await exists(`${outDir}/epochs.csv`)
    ) break;
  }
  child.kill("SIGKILL");
  return await child.status;
}
