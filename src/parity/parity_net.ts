/**
 * The parity net: fixtures at randomly drawn shapes and values, computed in
 * float64 by the project's PyTorch twins (`src/parity/twins/draw_parity_fixtures.py`,
 * after they pass the reference fixtures), each checked on the active backend
 * against max(1e-4, 10 × the twins' own float32 error on that draw). A draw
 * that is ill-conditioned (float32 lands further than 1e-3 from float64) is
 * drawn again by the twins; one that stays so is judged against its
 * conditioning, and the result says which.
 */
import { readSafetensors } from "../io/safetensors.ts";
import { checkFixture } from "./run_parity.ts";
import { parityVerdict } from "./summary.ts";

/** The twins draw again above this float32 error (REDRAW_ABOVE there). */
const ILL_CONDITIONED_ABOVE = 1e-3;

/** The Python that runs the twins: `PCDARTS_PYTHON`, else Debian's, else `python3`. */
export async function twinPython(): Promise<string | null> {
  const candidates = [
    Deno.env.get("PCDARTS_PYTHON"),
    "/usr/bin/python3",
    "python3",
  ].filter((c): c is string => Boolean(c));
  for (const python of candidates) {
    try {
      const { success } = await new Deno.Command(python, {
        args: ["-c", "import torch"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (success) return python;
    } catch {
      // not installed; try the next
    }
  }
  return null;
}

/** One draw as the twins describe it. */
export interface DrawEntry {
  /** The fixture file written. */
  file: string;
  /** The draw's seed (replays it). */
  seed: number;
  /** The seed of the draw kept (differs when it was drawn again). */
  kept_seed: number;
  /** What it holds, e.g. `mixed_op:4`, `eval_network`. */
  kind: string;
  /** Its sizes and value distribution. */
  draw: Record<string, unknown>;
  /** The twins' float32 error on the kept draw (gradients). */
  float32_reference_gradient_error: number;
  /** Seeds drawn again for being ill-conditioned. */
  redrawn: { seed: number; float32_reference_gradient_error: number }[];
}

/** Writes `count` draws from `seed` into `out` (or the one draw `only`). */
export async function writeDraws(options: {
  out: string;
  seed: number;
  count: number;
  only?: number;
  reference?: string | null;
}): Promise<DrawEntry[]> {
  const python = await twinPython();
  if (!python) {
    throw new Error(
      "no Python with PyTorch found for the twins: install Debian's python3-torch (apt-get install python3-torch) or set PCDARTS_PYTHON",
    );
  }
  const script = new URL("./twins/draw_parity_fixtures.py", import.meta.url)
    .pathname;
  const args = [
    script,
    options.out,
    "--seed",
    String(options.seed),
    "--count",
    String(options.count),
  ];
  if (options.only !== undefined) args.push("--only", String(options.only));
  if (options.reference) args.push("--reference", options.reference);
  const { success, stdout, stderr } = await new Deno.Command(python, {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const errors = new TextDecoder().decode(stderr);
  if (!success) {
    throw new Error(`the twins could not write the draws:\n${errors}`);
  }
  const lines = new TextDecoder().decode(stdout).trim().split("\n");
  return JSON.parse(lines[lines.length - 1]) as DrawEntry[];
}

/** The outcome of one draw on one backend. */
export interface DrawResult {
  /** The draw. */
  entry: DrawEntry;
  /** Worst output error (ours against float64). */
  outputError: number;
  /** Worst gradient error (ours against float64). */
  gradientError: number;
  /** The gradient bar it was held to. */
  gradientBar: number;
  /** Passed its bars, and no failure (genotype, GPU error). */
  ok: boolean;
  /** How it was judged: well-conditioned, or against its conditioning. */
  judged: "well-conditioned" | "against its conditioning";
  /** Failures other than numbers. */
  failures: string[];
}

/** Checks each draw on the active backend. */
export async function checkDraws(entries: DrawEntry[]): Promise<DrawResult[]> {
  const results: DrawResult[] = [];
  for (const entry of entries) {
    const result = await checkFixture(await readSafetensors(entry.file));
    const verdict = parityVerdict(result.rows);
    results.push({
      entry,
      outputError: verdict.maxOutputError,
      gradientError: verdict.maxGradientError,
      gradientBar: result.tolerances.gradient,
      ok: verdict.ok && result.failures.length === 0,
      judged: entry.float32_reference_gradient_error > ILL_CONDITIONED_ABOVE
        ? "against its conditioning"
        : "well-conditioned",
      failures: result.failures,
    });
  }
  return results;
}

/** The one command that replays a draw on a backend. */
export function replayCommand(seed: number, backend: string): string {
  return `deno task parity-net --only ${seed} --backend ${backend}`;
}
