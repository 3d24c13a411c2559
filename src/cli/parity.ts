/**
 * `deno task parity FILE.safetensors... [--backend NAME]`: checks that our
 * modules compute what the reference PyTorch implementations computed, and
 * prints a table of relative errors per file. The last line is the verdict;
 * the exit status is 0 only when every output is within 1e-4, every gradient
 * within 1e-3, and every derived genotype equals the reference's.
 */
import { parseArgs } from "node:util";
import { initBackend } from "../backend.ts";
import { readSafetensors } from "../safetensors.ts";
import { checkFixture } from "../parity/run_parity.ts";
import type { ParityRow } from "../parity/parity_row.ts";
import {
  GRADIENT_TOLERANCE,
  OUTPUT_TOLERANCE,
  parityVerdict,
  verdictLine,
} from "../parity/summary.ts";
import { formatTable } from "./table.ts";

const USAGE =
  `usage: deno task parity FILE.safetensors... [--backend auto|tensorflow|webgpu|wasm|cpu]

Checks primitives, MixedOp and search-network fixtures (any size) against our
implementation; outputs must be within ${OUTPUT_TOLERANCE}, gradients within ${GRADIENT_TOLERANCE}.`;

/** Runs the parity command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        backend: { type: "string", default: "wasm" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  if (parsed.positionals.length === 0) {
    console.error(`no fixture files given\n${USAGE}`);
    return 2;
  }
  const backend = await initBackend(parsed.values.backend!);
  console.log(`backend: ${backend.name} on ${backend.device}`);
  const allRows: ParityRow[] = [];
  const failures: string[] = [];
  for (const path of parsed.positionals) {
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
        ["check", "kind", "relative error", ""],
        result.rows.map((r) => {
          const limit = r.kind === "output"
            ? OUTPUT_TOLERANCE
            : GRADIENT_TOLERANCE;
          return [
            r.check,
            r.kind,
            r.relativeError.toExponential(2),
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
