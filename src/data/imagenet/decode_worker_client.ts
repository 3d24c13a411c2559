/**
 * The calling side of the ImageNet decode worker (`decode_worker.ts`): posts
 * batch requests and resolves each with the worker's answer.
 *
 * The worker is a `node:worker_threads` one. The web `Worker` global is not
 * safe to use here: once the wasm backend's threaded build starts, its
 * Emscripten runtime replaces `globalThis.Worker` with `worker_threads`'
 * constructor, and a script written for either kind then fails in the other.
 * `worker_threads` is the same under both builds.
 *
 * Nothing waits forever: a worker that throws, exits or gives no answer
 * within the time limit fails every request it holds, with a message that
 * names the worker and the cause.
 */
import { Worker } from "node:worker_threads";
import type { BatchEntry, DecodedBatch } from "./imagenet_batches.ts";

/** How long a batch may take before the worker is taken for dead. */
export const DEFAULT_DECODE_TIMEOUT_MS = 120_000;

/** What the worker is asked to decode. */
export interface DecodeRequest {
  root: string;
  entries: BatchEntry[];
  options: { side: number; augment: boolean };
}

/** A decode worker and its open requests. */
export class DecodeWorkerClient {
  readonly #worker: Worker;
  readonly #name: string;
  readonly #timeoutMs: number;
  readonly #waiting = new Map<
    number,
    {
      resolve: (result: DecodedBatch) => void;
      reject: (error: Error) => void;
      timer: ReturnType<typeof setTimeout>;
    }
  >();
  #next = 0;
  #failure: Error | null = null;
  #closing = false;

  /**
   * Starts the worker of `script` (default `decode_worker.ts`); `timeoutMs`
   * bounds each request.
   */
  constructor(
    options: { script?: URL; timeoutMs?: number } = {},
  ) {
    const script = options.script ??
      new URL("./decode_worker.ts", import.meta.url);
    this.#name = `the ImageNet decode worker (${
      script.pathname.split("/").at(-1)
    })`;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_DECODE_TIMEOUT_MS;
    this.#worker = new Worker(script);
    this.#worker.on("message", (data: unknown) => this.#answer(data));
    this.#worker.on(
      "error",
      (error: Error) =>
        this.#fail(`${this.#name} failed: ${error?.message ?? error}`),
    );
    this.#worker.on("exit", (code: number) => {
      if (!this.#closing) {
        this.#fail(`${this.#name} exited with code ${code}`);
      }
    });
    this.#worker.unref();
  }

  /** Decodes a batch in the worker. */
  decode(request: DecodeRequest): Promise<DecodedBatch> {
    if (this.#failure) return Promise.reject(this.#failure);
    const id = this.#next++;
    const answer = new Promise<DecodedBatch>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(
          `${this.#name} gave no batch in ${
            this.#timeoutMs / 1000
          } s (${request.entries.length} images asked for)`,
        );
      }, this.#timeoutMs);
      this.#waiting.set(id, { resolve, reject, timer });
      this.#worker.ref();
      this.#worker.postMessage({ id, ...request });
    });
    // A batch decoded ahead may never be awaited (the run stopped first):
    // its failure is not an unhandled one. Whoever awaits it still sees it.
    answer.catch(() => {});
    return answer;
  }

  #answer(data: unknown): void {
    const { id, result, error } = data as {
      id: number;
      result?: DecodedBatch;
      error?: string;
    };
    const waiting = this.#waiting.get(id);
    if (!waiting) return;
    this.#waiting.delete(id);
    clearTimeout(waiting.timer);
    if (this.#waiting.size === 0) this.#worker.unref();
    if (error !== undefined) {
      waiting.reject(new Error(`${this.#name}: ${error}`));
    } else waiting.resolve(result!);
  }

  /** Fails every open request, and every later one, with `message`. */
  #fail(message: string): void {
    this.#failure ??= new Error(message);
    for (const { reject, timer } of this.#waiting.values()) {
      clearTimeout(timer);
      reject(this.#failure);
    }
    this.#waiting.clear();
    this.#closing = true;
    void this.#worker.terminate();
  }

  /** Stops the worker; open requests fail. */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    for (const { reject, timer } of this.#waiting.values()) {
      clearTimeout(timer);
      reject(new Error(`${this.#name} was closed`));
    }
    this.#waiting.clear();
    void this.#worker.terminate();
  }
}
