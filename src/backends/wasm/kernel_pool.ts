/**
 * Workers that run the SIMD kernels on the wasm backend's shared heap (the
 * threaded build's), so that one kernel call can be split across cores. A
 * call comes as chunks over disjoint parts of its output; the calling thread
 * and the workers claim them one at a time (`kernel_pool_protocol.ts`), and
 * the call returns when all are done. What each element is computed from, and
 * in which order, does not depend on the chunks or on who runs them.
 *
 * A call wakes the workers through the shared control block (Atomics); a
 * worker spins briefly before it sleeps, so that the calls of a step,
 * microseconds apart, find it awake, and one that wakes late finds the chunks
 * taken. The workers are `worker_threads` ones, unreferenced: unlike web
 * workers they do not keep the process alive.
 */
import { Worker } from "node:worker_threads";
import {
  ARGUMENT_COUNT,
  CLAIM,
  claimChunk,
  claimWord,
  CONTROL_BYTES,
  controlViews,
  DONE,
  FAILED,
  KERNEL,
  MAX_ARGUMENTS,
  MAX_CHUNKS,
  SEQUENCE,
  setChunkArguments,
} from "./kernel_pool_protocol.ts";

/** A kernel call's arguments: pointers, sizes and scalars. */
export type KernelArguments = number[];

/** Polls for the workers' last chunks before sleeping on them. */
const SPINS = 20_000;

/** A pool of kernel workers bound to one module and heap. */
export class KernelPool {
  readonly #workers: Worker[];
  readonly #index: Map<string, number>;
  readonly #words: Int32Array;
  readonly #args: Float64Array;
  #sequence = 0;

  private constructor(
    workers: Worker[],
    names: string[],
    control: SharedArrayBuffer,
  ) {
    this.#workers = workers;
    this.#index = new Map(names.map((n, i) => [n, i]));
    ({ words: this.#words, args: this.#args } = controlViews(control));
  }

  /**
   * Starts `count` workers that instantiate `module` on `memory` (shared) and
   * can run the exports named `names`.
   */
  static async start(
    module: WebAssembly.Module,
    memory: WebAssembly.Memory,
    names: string[],
    count: number,
  ): Promise<KernelPool> {
    const control = new SharedArrayBuffer(CONTROL_BYTES);
    const workers = await Promise.all(
      Array.from({ length: count }, async () => {
        const worker = new Worker(
          new URL("./kernel_pool_worker.ts", import.meta.url),
        );
        await new Promise<void>((resolve, reject) => {
          worker.once("message", () => resolve());
          worker.once(
            "error",
            (error) =>
              reject(new Error(`a kernel worker failed to start: ${error}`)),
          );
          worker.postMessage({ module, memory, control, names });
        });
        worker.unref();
        return worker;
      }),
    );
    return new KernelPool(workers, names, control);
  }

  /** Workers in the pool (the calling thread is one more). */
  get size(): number {
    return this.#workers.length;
  }

  /**
   * Runs the kernel `name` once per chunk (argument list), the chunks shared
   * between this thread (with `run`) and the workers; returns when all are
   * done.
   */
  run(
    name: string,
    chunks: KernelArguments[],
    run: (...args: number[]) => unknown,
  ): void {
    const kernel = this.#index.get(name);
    if (kernel === undefined) throw new Error(`no kernel ${name} in the pool`);
    const count = chunks.length;
    const argumentCount = chunks[0].length;
    if (count > MAX_CHUNKS || argumentCount > MAX_ARGUMENTS) {
      throw new Error(
        `${count} chunks of ${argumentCount} arguments: the pool takes at most ${MAX_CHUNKS} of ${MAX_ARGUMENTS}`,
      );
    }
    const words = this.#words;
    chunks.forEach((args, i) => setChunkArguments(this.#args, i, args));
    words[KERNEL] = kernel;
    words[ARGUMENT_COUNT] = argumentCount;
    words[FAILED] = 0;
    Atomics.store(words, DONE, 0);
    const sequence = this.#sequence = (this.#sequence + 1) & 0x3fffffff;
    Atomics.store(words, CLAIM, claimWord(sequence, count));
    Atomics.store(words, SEQUENCE, sequence);
    Atomics.notify(words, SEQUENCE);
    let failure: unknown = null;
    for (;;) {
      const index = claimChunk(words, sequence);
      if (index < 0) break;
      try {
        run(...chunks[index]);
      } catch (error) {
        failure ??= error;
      }
      Atomics.add(words, DONE, 1);
    }
    for (let i = 0; i < SPINS && Atomics.load(words, DONE) < count; i++) {
      // spin: the workers' last chunks end within a chunk's time of this one's
    }
    for (;;) {
      const done = Atomics.load(words, DONE);
      if (done >= count) break;
      Atomics.wait(words, DONE, done);
    }
    if (failure === null && words[FAILED] !== 0) {
      failure = new Error(`kernel ${name} failed in a worker`);
    }
    if (failure !== null) throw failure;
  }

  /** Stops the workers. */
  stop(): void {
    Atomics.store(this.#words, SEQUENCE, -1);
    Atomics.notify(this.#words, SEQUENCE);
    for (const worker of this.#workers) worker.terminate();
    this.#workers.length = 0;
  }
}
