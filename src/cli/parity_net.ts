/**
 * `deno task parity-net [--seed S] [--draws N] [--only SEED] [--backend NAME]`:
 * draws parity fixtures at random shapes and values with the PyTorch twins (in
 * float64), checks them on the backend, and prints one line per draw with its
 * seed and the command that replays it. Exit status 0 when every draw passes.
 */
import { BACKEND_CHOICES, DEFAULT_BACKEND } from "../backends/backend_table.ts";
import { initBackend } from "../backends/init.ts";
import { checkDraws, replayCommand, writeDraws } from "../parity/parity_net.ts";
import { parityFixturesDir } from "../parity/fixtures_dir.ts";
import { numberFlag } from "./flags.ts";
import { type CommandSpec, parseCommand, usageOf } from "./command_spec.ts";
import { formatTable } from "../io/text_table.ts";

/** The parity-net command's flags. */
export const PARITY_NET_COMMAND = {
  name: "parity-net",
  synopsis: [
    "[--seed S] [--draws N] [--only SEED] [--backend NAME] [--keep DIR]",
  ],
  about:
    `Draws parity fixtures at random shapes with the project's PyTorch twins,
computed in float64 after the twins pass the reference fixtures
(PCDARTS_PARITY_DIR, else ../shared/fixtures/parity), and checks each on the
backend against max(1e-4, 10 x the twins' own float32 error). Needs Python with
PyTorch (Debian: python3-torch; PCDARTS_PYTHON names another).`,
  flags: {
    seed: {
      type: "string",
      value: "S",
      help: "first draw's seed (default: the time)",
    },
    draws: {
      type: "string",
      value: "N",
      default: "20",
      help: "fixtures to draw",
    },
    only: { type: "string", value: "SEED", help: "replay one draw" },
    backend: {
      type: "string",
      value: BACKEND_CHOICES,
      default: DEFAULT_BACKEND,
      help: "where to run",
    },
    keep: {
      type: "string",
      value: "DIR",
      help: "keep the fixture files in DIR",
    },
  },
} as const satisfies CommandSpec;

const USAGE = usageOf(PARITY_NET_COMMAND);

/** Runs the command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(PARITY_NET_COMMAND, args);
  if (typeof parsed === "number") return parsed;
  let seed, count, only;
  try {
    seed = numberFlag(parsed.values.seed, "seed") ??
      Math.floor(Date.now() / 1000) % 1_000_000;
    count = numberFlag(parsed.values.draws, "draws")!;
    only = numberFlag(parsed.values.only, "only");
  } catch (error) {
    console.error(`parity-net: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const backend = await initBackend(parsed.values.backend!);
  const out = parsed.values.keep ??
    await Deno.makeTempDir({ prefix: "parity-net-" });
  try {
    console.log(
      `backend: ${backend.name} on ${backend.device}; ${
        only === undefined ? `${count} draws from seed ${seed}` : `draw ${only}`
      }`,
    );
    const entries = await writeDraws({
      out,
      seed,
      count,
      only,
      reference: parityFixturesDir(),
    });
    const results = await checkDraws(entries);
    console.log(formatTable(
      ["seed", "kind", "float32 ref.", "ours", "bar", "judged", ""],
      results.map((r) => [
        String(r.entry.seed),
        r.entry.kind,
        r.entry.float32_reference_gradient_error.toExponential(1),
        r.gradientError.toExponential(1),
        r.gradientBar.toExponential(1),
        r.judged +
        (r.entry.redrawn.length > 0
          ? ` (drawn ${r.entry.redrawn.length + 1} times)`
          : ""),
        r.ok ? "ok" : "FAILED",
      ]),
    ));
    const failed = results.filter((r) => !r.ok);
    for (const r of failed) {
      console.log(
        `FAILED draw ${r.entry.seed} ${JSON.stringify(r.entry.draw)} ${
          r.failures.join("; ")
        }\n  replay: ${replayCommand(r.entry.seed, backend.name)}`,
      );
    }
    console.log(
      `\nparity-net: ${
        results.length - failed.length
      } of ${results.length} draws pass, ${
        results.filter((r) => r.entry.redrawn.length > 0).length
      } drawn again for conditioning: ${failed.length === 0 ? "ok" : "FAILED"}`,
    );
    return failed.length === 0 ? 0 : 1;
  } finally {
    if (!parsed.values.keep) await Deno.remove(out, { recursive: true });
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`parity-net: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
