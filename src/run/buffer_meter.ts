/**
 * Peak live buffer bytes. tfjs' own peak (`tf.profile`'s `peakBytes`) adds a
 * tensor's bytes for every tensor, so a reshape, or the clone tfjs saves for a
 * gradient, counts again although it shares its buffer. A buffer meter counts
 * each buffer (a tfjs data id) once, from when the engine first tracks it until
 * the engine removes it: the tensor memory a GPU or the wasm heap actually
 * holds, the measure PyTorch's `max_memory_allocated` takes (allocations
 * alive, not the allocator's cache). It counts the buffers made after it
 * started only (start it before the network exists to count the weights), and
 * not those a kernel makes and frees inside itself without the engine seeing
 * them. On tensorflow every op result is a new handle, even where TensorFlow
 * shares the bytes (a reshape), so there it counts handles: an upper bound.
 */
import * as tf from "../tf.ts";

/** The parts of tfjs-core 4.22's engine the meter follows. */
interface EngineInternals {
  state: {
    tensorInfo: {
      has(id: unknown): boolean;
      get(id: unknown): { bytes: number } | undefined;
    };
  };
  trackTensor(tensor: { dataId: unknown }, backend: unknown): void;
  removeDataId(dataId: unknown, backend: unknown): void;
}

/** A running count of live buffer bytes (see the module header). */
export interface BufferMeter {
  /** Bytes of the buffers made since the meter started and still alive. */
  readonly liveBytes: number;
  /** The most `liveBytes` has been since the start or the last `resetPeak`. */
  readonly peakBytes: number;
  /** Starts a new peak from the bytes alive now. */
  resetPeak(): void;
  /** Stops counting and leaves the engine as it was. */
  stop(): void;
}

let running = false;

/** Starts counting live buffer bytes; one meter at a time. */
export function startBufferMeter(): BufferMeter {
  if (running) {
    throw new Error("startBufferMeter: a buffer meter is already running");
  }
  const engine = tf.engine() as unknown as EngineInternals;
  if (
    typeof engine.state?.tensorInfo?.has !== "function" ||
    typeof engine.trackTensor !== "function" ||
    typeof engine.removeDataId !== "function"
  ) {
    throw new Error(
      "startBufferMeter: this tfjs engine has no buffer table (state.tensorInfo) as tfjs-core 4.22's",
    );
  }
  const counted = new Map<unknown, number>();
  let live = 0;
  let peak = 0;
  const ownTrack = Object.hasOwn(engine, "trackTensor");
  const ownRemove = Object.hasOwn(engine, "removeDataId");
  const track = engine.trackTensor;
  const remove = engine.removeDataId;
  engine.trackTensor = function (tensor, backend) {
    const buffers = engine.state.tensorInfo;
    const isNew = !buffers.has(tensor.dataId);
    track.call(this, tensor, backend);
    const entry = buffers.get(tensor.dataId);
    if (isNew && entry) {
      counted.set(tensor.dataId, entry.bytes);
      live += entry.bytes;
      if (live > peak) peak = live;
    }
  };
  engine.removeDataId = function (dataId, backend) {
    remove.call(this, dataId, backend);
    const bytes = counted.get(dataId);
    if (bytes !== undefined && !engine.state.tensorInfo.has(dataId)) {
      counted.delete(dataId);
      live -= bytes;
    }
  };
  running = true;
  return {
    get liveBytes() {
      return live;
    },
    get peakBytes() {
      return peak;
    },
    resetPeak() {
      peak = live;
    },
    stop() {
      if (!running) return;
      const restore = engine as unknown as Record<string, unknown>;
      if (ownTrack) engine.trackTensor = track;
      else delete restore.trackTensor;
      if (ownRemove) engine.removeDataId = remove;
      else delete restore.removeDataId;
      running = false;
    },
  };
}
