/**
 * A worker of the kernel pool (`kernel_pool.ts`): instantiates the SIMD kernel
 * module on the wasm backend's shared heap, then runs the calls the main
 * thread posts in its control block until told to stop.
 *
 * Control block (Int32 words): 0 the call's sequence number (negative: stop),
 * 1 the last finished sequence number, 2 the kernel's index, 3 the argument
 * count, 4 nonzero when the call threw; Float64 arguments from byte 32.
 */
import { parentPort } from "node:worker_threads";

/** Spins this many polls for the next call before sleeping on it. */
const SPINS = 2_000;

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
  const words = new Int32Array(control, 0, 8);
  const args = new Float64Array(control, 32, 24);
  parentPort!.postMessage("ready");
  let seen = 0;
  for (;;) {
    for (let i = 0; i < SPINS && Atomics.load(words, 0) === seen; i++) {
      // spin: the next call of a step usually follows within microseconds
    }
    if (Atomics.load(words, 0) === seen) Atomics.wait(words, 0, seen);
    seen = Atomics.load(words, 0);
    if (seen < 0) return;
    try {
      const count = words[3];
      const values: number[] = new Array(count);
      for (let i = 0; i < count; i++) values[i] = args[i];
      kernels[words[2]](...values);
      words[4] = 0;
    } catch {
      words[4] = 1;
    }
    Atomics.store(words, 1, seen);
    Atomics.notify(words, 1);
  }
});
