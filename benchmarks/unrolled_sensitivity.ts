/**
 * `deno task bench:unrolled [--draws N] [--backend NAME] [--out FILE]`: how far
 * darts2's unrolled architecture gradient moves when its input moves by a
 * relative 1e-6, ours (float32) beside the reference method's own float64 and
 * float32 figures.
 *
 * `benchmarks/unrolled_sensitivity.py` (Debian's python3-torch; `PCDARTS_PYTHON`
 * names another Python) first checks its twin of the unrolled gradient against the
 * shared darts2 search-step fixture, then writes the seeded draws (and the
 * fixture's own first step as a last one) as one-step search-step fixtures, at
 * the draw, with the images moved, and with images, weights and alphas moved.
 * Ours runs each through the search's own step (as `deno task parity` does) and
 * takes the architecture gradient Adam consumed. Moves are floored relative
 * errors over both alpha tensors together. Writes one row per draw.
 */
import { BACKEND_CHOICES_TEXT } from "../src/backends/backend_table.ts";
import { parse } from "csv-parse/sync";
import { type CommandSpec, parseCommand } from "../src/cli/command_spec.ts";
import { initBackend } from "../src/backends/init.ts";
import { readSafetensors } from "../src/io/safetensors.ts";
import { runSearchStepFixture } from "../src/parity/check_search_step.ts";
import { flooredRelativeError } from "../src/parity/relative_error.ts";
import { runEnvironment } from "../src/run/environment.ts";
import {
  columnsFor,
  UNROLLED_SENSITIVITY_SCHEMA,
} from "../src/bench/csv_schema.ts";
import { writeCsvAtomic } from "../src/io/csv_file.ts";
import { formatTable } from "../src/io/text_table.ts";
import { twinPython } from "../src/parity/parity_net.ts";

const COMMAND = {
  name: "bench:unrolled",
  synopsis: [
    "[--draws N] [--weights scaled|own] [--layers N] [--backend NAME] [--out FILE]",
  ],
  flags: {
    draws: {
      type: "string",
      value: "N",
      default: "8",
      help: "random draws (the fixture's first step is one more)",
    },
    weights: {
      type: "string",
      value: "scaled|own",
      default: "scaled",
      help:
        "scaled: weights N(0, 0.5²), the darts2 fixture's; own: the network's\nown initialization, the one a search starts from",
    },
    layers: {
      type: "string",
      value: "N",
      default: "3",
      help: "cells of the drawn networks (the fixture's step runs at 3 only)",
    },
    backend: {
      type: "string",
      value: "NAME",
      default: "cpu",
      help: BACKEND_CHOICES_TEXT,
    },
    out: {
      type: "string",
      value: "FILE",
      default: "results/parity/unrolled_sensitivity.csv",
      help: "the CSV written",
    },
  },
} as const satisfies CommandSpec;

const NAMES = ["alphas_normal", "alphas_reduce"];
const root = new URL("../", import.meta.url).pathname;

/** A file's `step0.arch_grad.*` of both alpha tensors, concatenated. */
function alphaGradient(get: (name: string) => ArrayLike<number>): Float32Array {
  const parts = NAMES.map((n) => get(`step0.arch_grad.${n}`));
  const out = new Float32Array(parts.reduce((s, p) => s + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Our first-step architecture gradient on a one-step fixture, and the float64
 * one the file stores.
 */
async function gradients(
  path: string,
): Promise<{ ours: Float32Array; stored: Float32Array }> {
  const file = await readSafetensors(path);
  const ours = await runSearchStepFixture(file);
  return {
    ours: alphaGradient((n) => ours.get(n)!),
    stored: alphaGradient((n) => file.tensors.get(n)!.data),
  };
}

async function python(args: string[]): Promise<void> {
  const executable = await twinPython();
  if (!executable) {
    throw new Error(
      "no Python with PyTorch found (apt-get install python3-torch, or set PCDARTS_PYTHON)",
    );
  }
  const status = await new Deno.Command(executable, {
    args: [`${root}benchmarks/unrolled_sensitivity.py`, ...args],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!status.success) {
    throw new Error(
      `${executable} benchmarks/unrolled_sensitivity.py ${
        args[0]
      } failed (exit ${status.code}); it needs PyTorch (apt-get install python3-torch, or PYTHON=...)`,
    );
  }
}

async function main(): Promise<number> {
  const parsed = parseCommand(COMMAND, Deno.args);
  if (typeof parsed === "number") return parsed;
  const { values } = parsed;
  const draws = Number(values.draws);
  if (!Number.isInteger(draws) || draws < 1) {
    console.error(
      `--draws takes a whole number of at least 1, not "${values.draws}"`,
    );
    return 2;
  }
  const layers = Number(values.layers);
  if (!Number.isInteger(layers) || layers < 3) {
    console.error(
      `--layers takes a whole number of at least 3 (a normal and a reduction cell), not "${values.layers}"`,
    );
    return 2;
  }
  if (values.weights !== "scaled" && values.weights !== "own") {
    console.error(`--weights takes scaled or own, not "${values.weights}"`);
    return 2;
  }
  const fixture =
    `${root}../shared/fixtures/parity/search_step_darts2.safetensors`;
  const folder = await Deno.makeTempDir({ prefix: "unrolled_" });
  try {
    await python(["check", fixture]);
    await python([
      "draw",
      "--draws",
      String(draws),
      "--out",
      folder,
      "--weights",
      values.weights,
      "--layers",
      String(layers),
      // The fixture's own step is one more draw, at its 3 cells.
      ...(layers === 3 ? ["--fixture", fixture] : []),
    ]);
    const backend = await initBackend(values.backend!);
    const env = await runEnvironment();
    const reference = parse(
      await Deno.readTextFile(`${folder}/reference.csv`),
      {
        columns: true,
      },
    ) as Record<string, string>[];
    const rows = [];
    for (const [d, ref] of reference.entries()) {
      const { ours: at, stored: float64 } = await gradients(
        `${folder}/draw${d}.safetensors`,
      );
      const images =
        (await gradients(`${folder}/draw${d}_images.safetensors`)).ours;
      const all = (await gradients(`${folder}/draw${d}_all.safetensors`)).ours;
      rows.push({
        time_utc: new Date().toISOString(),
        git_commit: env.gitCommit,
        backend: backend.name,
        device: backend.device,
        draw: ref.draw,
        seed: Number(ref.seed),
        weights: ref.weights,
        layers: Number(ref.layers),
        float64_move_images: Number(ref.float64_move_images),
        reference_float32_move_images: Number(
          ref.reference_float32_move_images,
        ),
        ours_move_images: flooredRelativeError(images, at),
        float64_move_all: Number(ref.float64_move_all),
        reference_float32_move_all: Number(ref.reference_float32_move_all),
        ours_move_all: flooredRelativeError(all, at),
        reference_float32_vs_float64: Number(ref.reference_float32_vs_float64),
        ours_vs_float64: flooredRelativeError(at, float64),
      });
    }
    const columns = columnsFor(UNROLLED_SENSITIVITY_SCHEMA, rows);
    await Deno.mkdir(values.out!.replace(/\/[^/]*$/, ""), { recursive: true });
    await writeCsvAtomic(
      values.out!,
      columns as (keyof typeof rows[0])[],
      rows,
    );
    const e = (x: number) => x.toExponential(1);
    console.log(formatTable(
      [
        "draw",
        "f64 (images)",
        "f32 ref",
        "ours",
        "f64 (all)",
        "f32 ref",
        "ours",
        "ref f32 vs f64",
        "ours vs f64",
      ],
      rows.map((r) => [
        r.draw,
        e(r.float64_move_images),
        e(r.reference_float32_move_images),
        e(r.ours_move_images),
        e(r.float64_move_all),
        e(r.reference_float32_move_all),
        e(r.ours_move_all),
        e(r.reference_float32_vs_float64),
        e(r.ours_vs_float64),
      ]),
    ));
    console.log(`wrote ${values.out} (${rows.length} draws, ${backend.name})`);
    return 0;
  } finally {
    await Deno.remove(folder, { recursive: true });
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main());
  } catch (error) {
    console.error(`bench:unrolled: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
