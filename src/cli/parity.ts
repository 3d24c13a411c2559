/**
 * `deno task parity FILE.safetensors... [--backend NAME]`: checks that our
 * modules compute what the reference PyTorch implementations computed, and
 * prints a table of relative errors per file. The last line is the verdict;
 * the exit status is 0 only when every row is within its file's bar (see
 * `parity/summary.ts`) and every derived genotype equals the reference's.
 */
import { BACKEND_CHOICES, DEFAULT_BACKEND } from "../backends/backend_table.ts";
import { initBackend } from "../backends/init.ts";
import { readSafetensors } from "../io/safetensors.ts";
import { checkFixture } from "../parity/run_parity.ts";
import type { ParityRow } from "../parity/parity_row.ts";
import {
  GRADIENT_TOLERANCE,
  OUTPUT_TOLERANCE,
  parityVerdict,
  rowLimit,
  verdictLine,
} from "../parity/summary.ts";
import { formatTable } from "../io/text_table.ts";
import { type CommandSpec, parseCommand, usageOf } from "./command_spec.ts";

/** The parity command's flags. */
export const PARITY_COMMAND = {
  name: "parity",
  synopsis: ["FILE.safetensors|FOLDER... [--backend NAME]"],
  about: `A folder stands for the *.safetensors files in it. Checks primitives,
MixedOp, search-network and evaluation-network fixtures (any size) against our
implementation, and runs search-step fixtures' steps (architecture update, then
the clipped SGD weight step) through the search's own step. Against a float32
reference, outputs must be within ${OUTPUT_TOLERANCE} and gradients within ${GRADIENT_TOLERANCE}; against a
float64 one (metadata computed_in: float64), both within max(1e-4, 10 x the
reference's own float32 error on that file), or per stored result within
max(1e-4, 10 x its own float32 scatter) where the file records it.`,
  positionals: true,
  flags: {
    backend: {
      type: "string",
      value: BACKEND_CHOICES,
      default: DEFAULT_BACKEND,
      help: "where to run",
    },
  },
} as const satisfies CommandSpec;

const USAGE = usageOf(PARITY_COMMAND);

/** The `*.safetensors` files in `path` (sorted) if it is a folder, else null. */
async function fixturesIn(path: string): Promise<string[] | null> {
  let info;
  try {
    info = await Deno.stat(path);
  } catch {
    return null; // reading it reports the problem
  }
  if (!info.isDirectory) return null;
  const files: string[] = [];
  for await (const entry of Deno.readDir(path)) {
    if (entry.isFile && entry.name.endsWith(".safetensors")) {
      files.push(`${path.replace(/\/+$/, "")}/${entry.name}`);
    }
  }
  return files.sort();
}

/** Runs the parity command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(PARITY_COMMAND, args);
  if (typeof parsed === "number") return parsed;
  if (parsed.positionals.length === 0) {
    console.error(`no fixture files given\n${USAGE}`);
    return 2;
  }
  const backend = await initBackend(parsed.values.backend!);
  console.log(`backend: ${backend.name} on ${backend.device}`);
  const allRows: ParityRow[] = [];
  const failures: string[] = [];
  const paths: string[] = [];
  for (const given of parsed.positionals) {
    const inside = await fixturesIn(given);
    if (inside?.length === 0) {
      failures.push(`${given}: a folder without *.safetensors files`);
      console.error(`${given}: a folder without *.safetensors files`);
    }
    paths.push(...(inside ?? [given]));
  }
  for (const path of paths) {
    const started = performance.now();
    let result;
    try {
      result = await checkFixture(await readSafetensors(path));
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message}`);
      console.error(`${path}: ${(error as Error).message}`);
      continue;
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`\n${path} (${result.kind}, ${seconds} s)`);
    if (result.rows.length > 0) {
      console.log(formatTable(
        ["check", "kind", "relative error", "bar", ""],
        result.rows.map((r) => {
          const limit = rowLimit(r);
          return [
            r.check,
            r.kind,
            r.relativeError.toExponential(2),
            limit.toExponential(1),
            r.relativeError < limit ? "ok" : "FAILED",
          ];
        }),
      ));
    }
    for (const note of result.notes) console.log(note);
    for (const failure of result.failures) {
      console.log(`FAILED: ${failure}`);
      failures.push(`${path}: ${failure}`);
    }
    allRows.push(...result.rows);
  }
  const verdict = parityVerdict(allRows);
  console.log(`\n${verdictLine(verdict, failures)}`);
  return verdict.ok && failures.length === 0 ? 0 : 1;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`parity: ${(error as Error).message}`);
    Deno.exit(2);
  }
}
