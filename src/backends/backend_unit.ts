/**
 * What a backend is to the rest of the project: one object per backend, kept
 * in one table (`table.ts`). Model, search, training and benchmark code ask the
 * active backend's unit instead of comparing backend names, so a backend is
 * added or changed in its own folder.
 */

/** Whether a backend can start on this machine, and if not, why. */
export interface Availability {
  /** Whether it can start. */
  available: boolean;
  /** What it would run on, or why it cannot start and what to do. */
  reason: string;
}

/** GPU time of one program over a profiled computation. */
export interface ProgramTime {
  /** The program's class or shader key. */
  program: string;
  /** Dispatches of it. */
  dispatches: number;
  /** Their summed GPU milliseconds. */
  ms: number;
}

/**
 * One kernel call's work for the roofline (`bench/roofline.ts`): its
 * floating-point operations, its minimal bytes (inputs read once, outputs
 * written once) and its measured wall time.
 */
export interface KernelWork {
  /** The kernel's kind: what the roofline groups calls by. */
  kind: string;
  /** Floating-point operations (a multiply-add counts two). */
  flops: number;
  /** Minimal bytes moved. */
  bytes: number;
  /** Wall milliseconds of the call. */
  ms: number;
}

/** The memory a backend gives tensors. */
export interface BackendMemory {
  /** Bytes tensors can use, or null where the backend cannot say. */
  capacityBytes(): number | null;
  /** Names the capacity in words, given it in GiB: "this machine has 23.5 GiB". */
  describe(gib: string): string;
}

/** What `deno task setup <backend>` passes to a backend's set-up. */
export interface BackendSetupOptions {
  /** Build for a GPU. */
  gpu?: boolean;
  /** A folder holding the native library and its headers. */
  libDir?: string;
  /** A wheel file to take the library from. */
  wheel?: string;
  /** The prefix under which Node's headers are. */
  nodeDir?: string;
  /** Rebuild even when already built. */
  force?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** A set-up that failed for a reason the user can act on (exit status 1). */
export class BackendSetupError extends Error {}

/** One backend: how it starts, what it holds and how it is measured. */
export interface BackendUnit {
  /** The tfjs backend name, which `--backend` takes. */
  readonly name: string;
  /** One line for help texts: what it computes with. */
  readonly summary: string;
  /**
   * Where `auto` ranks it (lower first) among the available backends that
   * {@linkcode BackendUnit.autoWorthy} accepts; absent: never chosen by `auto`.
   */
  readonly autoRank?: number;
  /**
   * The command that sets it up where it needs setting up (absent: nothing
   * to set up).
   */
  readonly setupCommand?: string;
  /** Whether it can start here (cheap: starts nothing it need not). */
  availability(): Promise<Availability>;
  /** Whether `auto` may choose it on this machine (given it is available). */
  autoWorthy(): Promise<boolean>;
  /**
   * Before `tf.setBackend`: loads libraries and picks builds. Throws an error
   * that says what to do when the backend cannot start.
   */
  load(): Promise<void>;
  /** After the backend is set: our kernels and hooks (idempotent). */
  prepare(): Promise<void>;
  /** Whether it computes on a GPU (after {@linkcode BackendUnit.load}). */
  onGpu(): Promise<boolean>;
  /** One line naming the device, given the host's "model, cores, memory". */
  describeDevice(host: string): Promise<string>;
  /** The memory its tensors live in. */
  readonly memory: BackendMemory;
  /**
   * Errors the device reported asynchronously since the last call (a GPU's
   * failed dispatch), forgotten once taken. Absent: it reports none that way.
   */
  takeErrors?(): string[];
  /** Throws if the device reported an error since the last check. */
  throwOnErrors?(where: string): void;
  /** Programs of ours dispatched so far, which tfjs' profiler does not see. */
  programDispatchCount?(): number;
  /** GPU compute dispatches so far, tfjs' and ours (absent: not a GPU API). */
  gpuDispatchCount?(): number;
  /** Runs `f` with every dispatch timed; programs by GPU time, largest first. */
  gpuTimeByProgram?(f: () => void): Promise<ProgramTime[]>;
  /**
   * Starts recording the work of the backend's own kernels, which tfjs'
   * profiler does not see (wasm's SIMD kernels); the returned function stops
   * and returns every call. Absent: the backend has none.
   */
  recordKernelWork?(): () => KernelWork[];
  /**
   * The memory bandwidth (bytes per second) of a STREAM-like triad over
   * arrays of `elements` floats in the backend's own kernels, where they
   * reach more of it than tfjs' element-wise kernels; null where not.
   */
  triadBytesPerSecond?(elements: number): number | null;
  /**
   * The floating-point rate (FLOPs per second) the backend's own kernels'
   * arithmetic reaches with operands in registers, where a large matrix
   * product through tfjs reaches less of it. Absent: the product's rate is
   * the ceiling.
   */
  peakFlopsPerSecond?(): Promise<number>;
  /**
   * Builds what the backend needs on this machine (`deno task setup <name>`)
   * and returns a line saying what was done; throws
   * {@linkcode BackendSetupError} with what to do. Absent: nothing to set up.
   */
  setUp?(options: BackendSetupOptions): Promise<string>;
  /**
   * Once started: a small computation whose answer is known, proving that the
   * backend computes correctly; returns a line naming what runs.
   */
  verify?(): Promise<string>;
  /** A clearer message for an error this backend raises, or undefined. */
  explainError?(message: string): string | undefined;
}
