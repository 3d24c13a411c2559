/**
 * A worker of the kernel pool (`kernel_pool.ts`): instantiates the SIMD kernel
 * module on the wasm backend's shared heap, then claims and runs the chunks of
 * each call the main thread posts (`kernel_pool_protocol.ts`) until told to
 * stop.
 */
import { parentPort } from "node:worker_threads";
import {
  chunkArguments,
  claimChunk,
  controlViews,
  DONE,
  FAILED,
  KERNEL,
  SEQUENCE,
} from "./kernel_pool_protocol.ts";

/** Polls for the next call before sleeping on it (tens of microseconds). */
const SPINS = 20_000;

parentPort!.once("message", async (data: unknown) => {
  const { module, memory, control, names } = data as {
    module: WebAssembly.Module;
    memory: WebAssembly.Memory;
    control: SharedArrayBuffer;
    names: string[];
  };
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const kernels = names.map((name) =>
    instance.exports[name] as (...args: number[]) => unknown
  );
  const { words, args } = controlViews(control);
  parentPort!.postMessage("ready");
  let seen = 0;
  for (;;) {
    for (let i = 0; i < SPINS && Atomics.load(words, SEQUENCE) === seen; i++) {
      // spin: the next call of a step usually follows within microseconds
    }
    if (Atomics.load(words, SEQUENCE) === seen) {
      Atomics.wait(words, SEQUENCE, seen);
    }
    seen = Atomics.load(words, SEQUENCE);
    if (seen < 0) return;
    for (;;) {
      const index = claimChunk(words, seen);
      if (index < 0) break;
      try {
        kernels[words[KERNEL]](...chunkArguments(words, args, index));
      } catch {
        Atomics.store(words, FAILED, 1);
      }
      Atomics.add(words, DONE, 1);
      Atomics.notify(words, DONE);
    }
  }
});
