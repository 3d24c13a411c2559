/**
 * tfjs-backend-wasm's threaded SIMD build under Deno: XNNPACK's thread pool on
 * Emscripten pthreads, and a heap in shared memory that workers of our own can
 * also reach.
 *
 * tfjs offers the build only where it finds no Node (`IS_NODE`), and Deno looks
 * like Node to it. Forced on, Emscripten's Node path starts each pthread as a
 * `worker_threads` worker from the script tfjs hands it as a Blob URL, which
 * `worker_threads` refuses (ERR_WORKER_PATH). Here the same two scripts the
 * package ships (its pthread worker and its module factory) are written to a
 * temporary folder as CommonJS files, and the Blob URL of the worker is
 * answered with that file's path. The worker's own `location` assignment is
 * dropped: Deno's worker global has a read-only `location`.
 *
 * Call {@linkcode useThreadedWasm} before the wasm backend first starts; the
 * thread count cannot change afterwards.
 */
import * as tf from "../../tf.ts";
import { setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { wasmWorkerContents } from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.worker.js";
import threadedFactory from "@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm-threaded-simd.js";

let chosen: number | null = null;

/** The thread count the threaded build was set up with, or null (unthreaded). */
export function wasmThreads(): number | null {
  return chosen;
}

/**
 * Makes the wasm backend start the threaded SIMD build with `threads` threads
 * for XNNPACK (the main thread counts as one). Idempotent for the same count;
 * another count after the first throws.
 */
export function useThreadedWasm(threads: number): void {
  if (!Number.isInteger(threads) || threads < 1) {
    throw new Error(`wasm threads must be a whole number >= 1, got ${threads}`);
  }
  if (chosen !== null) {
    if (chosen === threads) return;
    throw new Error(
      `the wasm backend was set up with ${chosen} threads; a process cannot change to ${threads}`,
    );
  }
  let dir: string;
  try {
    dir = Deno.makeTempDirSync({ prefix: "pcdarts_wasm_threads_" });
  } catch (error) {
    throw new Error(
      `${threads} wasm threads need a temporary folder for the threaded build's worker scripts (${
        (error as Error).message
      }); run with --allow-write, or set PCDARTS_THREADS=1`,
    );
  }
  const mainScript = `${dir}/module.cjs`;
  const workerScript = `${dir}/worker.cjs`;
  // What tfjs passes as the module's script: the factory's own source.
  Deno.writeTextFileSync(
    mainScript,
    `var WasmBackendModuleThreadedSimd = ${threadedFactory.toString()}`,
  );
  // tfjs escapes the worker's newlines before it makes its Blob; so do we.
  const workerText = wasmWorkerContents.replace(/\n/g, "\\n");
  Deno.writeTextFileSync(
    workerScript,
    `URL.createObjectURL = () => ${JSON.stringify(mainScript)};\n` +
      "URL.revokeObjectURL = () => {};\n" +
      workerText.replace("location:{href:__filename},", ""),
  );
  const workerBytes = new TextEncoder().encode(workerText).length;
  const original = URL.createObjectURL;
  URL.createObjectURL = (object: Blob) =>
    object instanceof Blob && object.type === "application/javascript" &&
      object.size === workerBytes
      ? workerScript
      : original(object);
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch {
      // already gone
    }
  });
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
  setThreadsCount(threads);
  chosen = threads;
}
