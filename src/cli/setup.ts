/**
 * `deno task setup tensorflow [--gpu] [--lib-dir DIR] [--wheel FILE]
 * [--node-dir DIR] [--force]`: builds tfjs-node's binding against a TensorFlow
 * C library (see `backends/tensorflow/setup.ts`), then loads it and runs a padded
 * convolution on it as a check.
 */
import { initBackend } from "../backends/init.ts";
import { BackendSetupError } from "../backends/backend_unit.ts";
import { BACKEND_UNITS } from "../backends/backend_table.ts";
import { type CommandSpec, parseCommand, usageOf } from "./command_spec.ts";

/** The setup command's flags. */
export const SETUP_COMMAND = {
  name: "setup",
  synopsis: [
    "tensorflow [--gpu] [--lib-dir DIR] [--wheel FILE] [--node-dir DIR] [--force]",
  ],
  about: `Builds the native binding of @tensorflow/tfjs-node (or, with --gpu,
@tensorflow/tfjs-node-gpu) against the TensorFlow C library, so that
--backend tensorflow works (and auto prefers it). Without --lib-dir or
--wheel it fetches tensorflow-cpu==2.21.0 with pip (python3 -m pip;
PCDARTS_PIP_PYTHON picks another Python). Needs Node.js with npm and its
headers, python3, make and g++. A second run with the same library does
nothing. Nothing it fetches or builds is tracked by git: it all stays in
node_modules/.`,
  positionals: true,
  flags: {
    gpu: {
      type: "boolean",
      default: false,
      help: "build @tensorflow/tfjs-node-gpu (needs a CUDA build in --lib-dir)",
    },
    "lib-dir": {
      type: "string",
      value: "DIR",
      help:
        "the C library: the libtensorflow tarball unpacked (lib/,\ninclude/) or a TensorFlow wheel's tensorflow/ folder; also\nPCDARTS_TENSORFLOW_LIB_DIR",
    },
    wheel: {
      type: "string",
      value: "FILE",
      help: "take the library from this TensorFlow wheel",
    },
    "node-dir": {
      type: "string",
      value: "DIR",
      help: "the prefix of Node's headers (DIR/include/node/node_api.h)",
    },
    force: {
      type: "boolean",
      default: false,
      help: "rebuild even if already built against this library",
    },
  },
} as const satisfies CommandSpec;

const USAGE = usageOf(SETUP_COMMAND);

/** Runs the set-up command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(SETUP_COMMAND, args);
  if (typeof parsed === "number") return parsed;
  const settable = BACKEND_UNITS.filter((u) => u.setUp !== undefined);
  const [what, ...rest] = parsed.positionals;
  const unit = settable.find((u) => u.name === what);
  if (unit?.setUp === undefined || rest.length > 0) {
    console.error(
      `setup: what can be set up is ${
        settable.map((u) => `"${u.name}"`).join(", ")
      }; got ${
        parsed.positionals.length
          ? `"${parsed.positionals.join(" ")}"`
          : "nothing"
      }\n\n${USAGE}`,
    );
    return 2;
  }
  const v = parsed.values;
  if (v.gpu && v.wheel) {
    console.error(
      "setup: --wheel is for the CPU package; --gpu needs --lib-dir",
    );
    return 2;
  }
  const started = performance.now();
  try {
    const done = await unit.setUp({
      gpu: v.gpu,
      libDir: v["lib-dir"],
      wheel: v.wheel,
      nodeDir: v["node-dir"],
      force: v.force,
      log: (line) => console.log(`setup: ${line}`),
    });
    console.log(`setup: ${done}`);
    const info = await initBackend(unit.name);
    const runs = await unit.verify?.() ?? unit.name;
    console.log(
      `setup: ${unit.name} backend ready (${runs}, ${info.device}) in ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s`,
    );
    return 0;
  } catch (error) {
    if (error instanceof BackendSetupError) {
      console.error(`setup: ${error.message}`);
      return 1;
    }
    throw error;
  }
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`setup: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
