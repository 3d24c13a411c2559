/**
 * Loading tfjs-node(-gpu), once per process. They are not dependencies of this
 * module because their install step downloads libtensorflow; `deno task setup
 * tensorflow` builds the binding instead.
 */
import util from "node:util";
import * as tf from "../../tf.ts";
import { pathExists } from "../../io/path_exists.ts";
import {
  builtPackage,
  packagePaths,
  TENSORFLOW_PACKAGES,
  type TensorflowPackage,
} from "./package.ts";

/** How to get the tensorflow backend, for error messages. */
export const TENSORFLOW_INSTALL_HINT =
  "set it up with `deno task setup tensorflow` (builds tfjs-node's binding against the TensorFlow C library from pip's tensorflow-cpu wheel, or from --lib-dir DIR; see docs/backends.md), or choose --backend webgpu|wasm|cpu";

/** The package that loaded, or the reasons none did. */
export interface TensorflowLoad {
  /** The package that registered the backend. */
  loaded?: TensorflowPackage;
  /** Why each package before it (or every package) did not load. */
  reasons: string[];
}

/**
 * tfjs-node calls `util.isNullOrUndefined`, which Node removed and Deno's
 * `node:util` lacks; it must exist before tfjs-node loads.
 */
function shimNodeUtil(): void {
  const u = util as unknown as Record<string, unknown>;
  u.isNullOrUndefined ??= (x: unknown) => x === null || x === undefined;
}

let tensorflowLoad: Promise<TensorflowLoad> | undefined;

/**
 * Loads tfjs-node(-gpu) once per process; returns the reasons when neither
 * loads. TensorFlow's library must be loaded before a Vulkan driver: loaded
 * after lavapipe (both bring LLVM) it crashed the process, so the webgpu
 * backend's adapter probe calls {@linkcode loadTensorflowIfBuilt} first.
 */
export function loadTensorflow(): Promise<TensorflowLoad> {
  tensorflowLoad ??= loadTensorflowOnce();
  return tensorflowLoad;
}

/** Loads TensorFlow where its binding is built; otherwise does nothing. */
export async function loadTensorflowIfBuilt(): Promise<void> {
  if (builtPackage() !== null) await loadTensorflow();
}

async function loadTensorflowOnce(): Promise<TensorflowLoad> {
  const reasons: string[] = [];
  for (const specifier of TENSORFLOW_PACKAGES) {
    const paths = packagePaths(specifier);
    if (paths === null) {
      reasons.push(`${specifier} is not installed`);
      continue;
    }
    if (!pathExists(paths.binding)) {
      reasons.push(`${specifier} has no binding at ${paths.binding}`);
      continue;
    }
    try {
      shimNodeUtil();
      // TensorFlow's C++ INFO lines (oneDNN, CPU features) on every start.
      if (Deno.env.get("TF_CPP_MIN_LOG_LEVEL") === undefined) {
        Deno.env.set("TF_CPP_MIN_LOG_LEVEL", "2");
      }
      // tfjs-node makes itself the active backend when it is imported, before
      // its kernels are prepared (`unit.ts`); asking whether it loads must not
      // move the work of whichever backend runs now.
      const active = tf.engine().backendName;
      await import(specifier);
      if (active && tf.engine().backendName !== active) {
        await tf.setBackend(active);
      }
      if (tf.findBackendFactory("tensorflow")) {
        return { loaded: specifier, reasons };
      }
      reasons.push(
        `${specifier} loaded but registered no "tensorflow" backend`,
      );
    } catch (error) {
      reasons.push(`${specifier}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  return { reasons };
}
