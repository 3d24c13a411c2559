/**
 * The reference's training step beside ours: the PyTorch twin of train.py's
 * step (`benchmarks/reference_train_step.py`, on `src/parity/twins`) at a
 * training-step configuration's shapes on the CPU.
 */
import { twinPython } from "../parity/parity_net.ts";
import type { ReferenceStepTime } from "./reference_step_time.ts";

const SCRIPT =
  new URL("../../benchmarks/reference_train_step.py", import.meta.url)
    .pathname;

/** Runs the twin on `threads` CPU threads: `steps` timed steps after one warm-up. */
export async function referenceTrainStepTime(
  config: string,
  threads: number,
  steps: number,
): Promise<ReferenceStepTime> {
  const python = await twinPython();
  if (python === null) {
    throw new Error(
      "--reference-threads needs Python with PyTorch: apt-get install python3-torch, or set PCDARTS_PYTHON",
    );
  }
  const run = await new Deno.Command(python, {
    args: [
      SCRIPT,
      "--config",
      config,
      "--threads",
      String(threads),
      "--timed-steps",
      String(steps),
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(run.stdout).trim();
  if (!run.success) {
    throw new Error(
      `the reference training-step twin failed: ${
        new TextDecoder().decode(run.stderr).trim().split("\n").slice(-3).join(
          " ",
        )
      }`,
    );
  }
  const result = JSON.parse(text.split("\n").at(-1)!);
  return { medianMs: result.median_ms, runtime: result.runtime };
}
