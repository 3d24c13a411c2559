/**
 * Workers that run the SIMD kernels on the wasm backend's shared heap (the
 * threaded build's), so that one kernel call can be split across cores: the
 * calling thread runs the first part, each worker one of the others, and the
 * call returns when all are done. Parts write disjoint outputs; what each
 * element is computed from, and in which order, does not depend on the split.
 *
 * A call wakes its workers through a shared control block (Atomics); a worker
 * spins briefly before it sleeps, so that the calls of a step, microseconds
 * apart, find it awake. The workers are `worker_threads` ones, unreferenced:
 * unlike web workers they do not keep the process alive.
 */
import { Worker } from "node:worker_threads";

/** A kernel call's arguments: pointers, sizes and scalars. */
export type KernelArguments = number[];

/** Spins this many polls for a worker before sleeping on it. */
const SPINS = 2_000;

interface PoolWorker {
  worker: Worker;
  words: Int32Array;
  args: Float64Array;
  sequence: number;
}

/** A pool of kernel workers bound to one module and heap. */
export class KernelPool {
  readonly #workers: PoolWorker[];
  readonly #index: Map<string, number>;

  private constructor(workers: PoolWorker[], names: string[]) {
    this.#workers = workers;
    this.#index = new Map(names.map((n, i) => [n, i]));
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
    const workers = await Promise.all(
      Array.from({ length: count }, async () => {
        const control = new SharedArrayBuffer(32 + 24 * 8);
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
        return {
          worker,
          words: new Int32Array(control, 0, 8),
          args: new Float64Array(control, 32, 24),
          sequence: 0,
        };
      }),
    );
    return new KernelPool(workers, names);
  }

  /** Workers in the pool (the calling thread is one more). */
  get size(): number {
    return this.#workers.length;
  }

  /**
   * Runs the kernel `name` once per argument list, all at once: `parts[0]` on
   * the calling thread with `run`, the others on workers (at most one each).
   */
  run(
    name: string,
    parts: KernelArguments[],
    run: (...args: number[]) => unknown,
  ): void {
    const kernel = this.#index.get(name);
    if (kernel === undefined) throw new Error(`no kernel ${name} in the pool`);
    if (parts.length - 1 > this.#workers.length) {
      throw new Error(
        `${parts.length} parts for ${this.#workers.length} workers and this thread`,
      );
    }
    const posted = this.#workers.slice(0, parts.length - 1);
    posted.forEach((w, i) => {
      const args = parts[i + 1];
      w.args.set(args);
      w.words[2] = kernel;
      w.words[3] = args.length;
      w.sequence++;
      Atomics.store(w.words, 0, w.sequence);
      Atomics.notify(w.words, 0);
    });
    let failure: unknown = null;
    try {
      run(...parts[0]);
    } catch (error) {
      failure = error;
    }
    for (const w of posted) {
      for (
        let i = 0;
        i < SPINS && Atomics.load(w.words, 1) !== w.sequence;
        i++
      ) {
        // spin: most parts finish within microseconds of this thread's
      }
      for (;;) {
        const finished = Atomics.load(w.words, 1);
        if (finished === w.sequence) break;
        Atomics.wait(w.words, 1, finished);
      }
      if (w.words[4] !== 0) {
        failure ??= new Error(`kernel ${name} failed in a worker`);
      }
    }
    if (failure !== null) throw failure;
  }

  /** Stops the workers. */
  stop(): void {
    for (const w of this.#workers) {
      Atomics.store(w.words, 0, -1);
      Atomics.notify(w.words, 0);
      w.worker.terminate();
    }
    this.#workers.length = 0;
  }
}
