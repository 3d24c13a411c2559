/**
 * `deno task setup tensorflow [--gpu] [--lib-dir DIR] [--wheel FILE]
 * [--node-dir DIR] [--force]`: builds tfjs-node's binding against a TensorFlow
 * C library (see `tensorflow/setup.ts`), then loads it and runs a padded
 * convolution on it as a check.
 */
import * as tf from "../tf.ts";
import { initBackend } from "../backend.ts";
import { SetupError, setupTensorflow } from "../tensorflow/setup.ts";
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
  const [what, ...rest] = parsed.positionals;
  if (what !== "tensorflow" || rest.length > 0) {
    console.error(
      `setup: the one thing to set up is "tensorflow", got ${
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
  let result;
  try {
    result = await setupTensorflow({
      gpu: v.gpu,
      libDir: v["lib-dir"],
      wheel: v.wheel,
      nodeDir: v["node-dir"],
      force: v.force,
      log: (line) => console.log(`setup: ${line}`),
    });
  } catch (error) {
    if (error instanceof SetupError) {
      console.error(`setup: ${error.message}`);
      return 1;
    }
    throw error;
  }
  console.log(
    result.alreadyDone
      ? `setup: already done: ${result.binding} is built against ${result.library.library}; nothing to do (--force rebuilds)`
      : `setup: built ${result.binding} against ${result.library.library}`,
  );
  const info = await initBackend("tensorflow");
  // A padded, strided convolution, the kind of kernel this project adds to
  // tfjs-node: PyTorch pads 4x4 by one on every side, TensorFlow's 'same'
  // would pad only after, and the two give different windows.
  const y = tf.tidy(() =>
    tf.conv2d(
      tf.range(0, 16).reshape([1, 4, 4, 1]) as tf.Tensor4D,
      tf.ones([3, 3, 1, 1]) as tf.Tensor4D,
      2,
      1,
    )
  );
  const values = [...await y.data()];
  y.dispose();
  if (values.join() !== "10,24,51,90") {
    console.error(
      `setup: the check convolution gave ${
        values.join(", ")
      }, not 10, 24, 51, 90: the binding loads but computes wrongly`,
    );
    return 1;
  }
  const version = (tf.backend() as unknown as {
    binding?: { TF_Version?: string };
  }).binding?.TF_Version ?? "unknown";
  console.log(
    `setup: tensorflow backend ready (TensorFlow ${version}, ${info.device}) in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
  );
  return 0;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (error) {
    console.error(`setup: ${(error as Error).message}`);
    Deno.exit(1);
  }
}
