/**
 * The reference's step time beside ours: the PyTorch twin of the reference
 * code (`benchmarks/gpu/reference_step.py`, on `src/parity/twins`) times the
 * same PC-DARTS search step (K=4, edge normalization, first order) at a step
 * configuration's shapes on the CPU, on CIFAR-10 images.
 */
import { parse } from "csv-parse/sync";
import { twinPython } from "../parity/parity_net.ts";

/** What the twin measured. */
export interface ReferenceStepTime {
  /** Median milliseconds per step. */
  medianMs: number;
  /** PyTorch's version and device line. */
  runtime: string;
}

const SCRIPT =
  new URL("../../benchmarks/gpu/reference_step.py", import.meta.url)
    .pathname;

/**
 * Runs the twin on `threads` CPU threads at the configuration `config`
 * (tiny, small or paper: the sizes reference_step.py knows), `steps` timed
 * steps after one warm-up, on the CIFAR-10 records of `dataFile`.
 */
export async function referenceStepTime(
  config: string,
  threads: number,
  steps: number,
  dataFile: string,
): Promise<ReferenceStepTime> {
  const python = await twinPython();
  if (python === null) {
    throw new Error(
      "--reference-threads needs Python with PyTorch: apt-get install python3-torch, or set PCDARTS_PYTHON",
    );
  }
  const out = await Deno.makeTempDir({ prefix: "reference-step-" });
  try {
    const run = await new Deno.Command(python, {
      args: [
        SCRIPT,
        "measure",
        "--size",
        config,
        "--device",
        "cpu",
        "--threads",
        String(threads),
        "--steps-only",
        "--method",
        "pcdarts",
        "--timed-steps",
        String(steps),
        "--data",
        dataFile,
        "--out",
        out,
      ],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!run.success) {
      throw new Error(
        `the reference step (${SCRIPT}) failed:\n${
          new TextDecoder().decode(run.stderr).trim().split("\n").slice(-5)
            .join("\n")
        }`,
      );
    }
    const [row] = parse(await Deno.readTextFile(`${out}/torch_steps.csv`), {
      columns: true,
    }) as Record<string, string>[];
    if (row.error) throw new Error(`the reference step failed: ${row.error}`);
    return {
      medianMs: Number(row.median_ms),
      runtime: `${row.execution} on ${row.cpu}`,
    };
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}
