/**
 * Fewer host calls per dispatch on the webgpu backend: the uniforms of a
 * submitted batch of dispatches go up in one upload, and batches are larger.
 *
 * tfjs' webgpu backend gives every dispatch its own small uniform buffer (the
 * shapes, strides and sizes the shader reads), written with its own
 * `queue.writeBuffer`, and submits every 15 dispatches. Host time per
 * dispatch, not GPU time, then bounds a search step of some 20,000 dispatches,
 * however fast the GPU (figures: docs/performance.md, "Kernel choices").
 *
 * Here each dispatch's uniform bytes are packed at an aligned offset of one
 * arena buffer (the bind group names the offset), and one `writeBuffer` uploads
 * them just before the batch is submitted. The queue orders that write after
 * the work submitted before it and before the batch that reads it, so one
 * buffer serves every batch. The bytes are the backend's own: its
 * `makeUniforms` still lays them out, and only the upload is redirected.
 * Batches are {@linkcode DISPATCHES_PER_SUBMIT} dispatches.
 */
import * as tf from "../../tf.ts";
import {
  type ExecutionOptions,
  executionOptions,
  onExecutionOptionsChange,
} from "../../ops/execution_options.ts";
import "./webgpu_options.ts";

/** Dispatches per queue submit with batching on (tfjs' default is 15). */
export const DISPATCHES_PER_SUBMIT = 64;

/** tfjs' own flag for dispatches per submit. */
const SUBMIT_FLAG = "WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE";

/** tfjs' default for it. */
const TFJS_DISPATCHES_PER_SUBMIT = 15;

/** Bytes of uniforms one batch may hold before it is submitted early. */
const ARENA_BYTES = 1 << 18;

/** The parts of tfjs' webgpu backend (4.22) that this patches. */
interface WebGpuBackendInternals {
  device: GPUDevice;
  queue: GPUQueue;
  makeUniforms(uniforms: unknown[]): GPUBufferBinding;
  submitQueue(): void;
  endComputePassEncoder(): void;
  uniformPendingDisposal: GPUBuffer[];
  bufferManager: { releaseBuffer(buffer: GPUBuffer, reuse?: boolean): void };
}

interface Arena {
  buffer: GPUBuffer;
  bytes: Uint8Array<ArrayBuffer>;
  used: number;
  alignment: number;
  enabled: boolean;
  uploads: number;
}

const arenas = new WeakMap<object, Arena>();

function webGpuInternals(): WebGpuBackendInternals | null {
  if (tf.getBackend() !== "webgpu") return null;
  const backend = tf.backend() as unknown as Partial<WebGpuBackendInternals>;
  const ok = backend.device && backend.queue &&
    typeof backend.makeUniforms === "function" &&
    typeof backend.submitQueue === "function" &&
    typeof backend.endComputePassEncoder === "function" &&
    Array.isArray(backend.uniformPendingDisposal) &&
    typeof backend.bufferManager?.releaseBuffer === "function";
  return ok ? backend as WebGpuBackendInternals : null;
}

/**
 * Installs batched submission on the current webgpu backend (once per
 * backend), on or off as the execution option `batchedSubmission` says, and
 * follows that option from then on. Returns false, leaving the backend as it
 * was, when the backend is not webgpu or its internals are not the ones this
 * was written for.
 */
export function installBatchedSubmission(): boolean {
  const backend = webGpuInternals();
  if (backend === null) return false;
  if (!arenas.has(backend)) patch(backend);
  applyBatchedSubmission(executionOptions());
  onExecutionOptionsChange(applyBatchedSubmission);
  return true;
}

function patch(backend: WebGpuBackendInternals): void {
  const arena: Arena = {
    buffer: backend.device.createBuffer({
      size: ARENA_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
    }),
    bytes: new Uint8Array(ARENA_BYTES),
    used: 0,
    alignment: backend.device.limits.minUniformBufferOffsetAlignment,
    enabled: false,
    uploads: 0,
  };
  arenas.set(backend, arena);
  const makeUniforms = backend.makeUniforms.bind(backend);
  const submitQueue = backend.submitQueue.bind(backend);
  const queue = backend.queue;
  // Stands in for the queue while the backend lays out one dispatch's bytes.
  const capture = {
    data: null as Uint8Array | null,
    writeBuffer(
      _buffer: GPUBuffer,
      _offset: number,
      data: ArrayBuffer,
      dataOffset = 0,
      size?: number,
    ) {
      capture.data = new Uint8Array(
        data,
        dataOffset,
        size ?? data.byteLength - dataOffset,
      );
    },
  };
  backend.submitQueue = () => {
    if (arena.used > 0) {
      queue.writeBuffer(arena.buffer, 0, arena.bytes, 0, arena.used);
      arena.used = 0;
      arena.uploads++;
    }
    submitQueue();
  };
  backend.makeUniforms = (uniforms) => {
    if (!arena.enabled) return makeUniforms(uniforms);
    capture.data = null;
    backend.queue = capture as unknown as GPUQueue;
    let binding: GPUBufferBinding;
    try {
      binding = makeUniforms(uniforms);
    } finally {
      backend.queue = queue;
    }
    const data = capture.data as Uint8Array | null;
    if (data === null) {
      // Not the upload this was written for: the backend's own from now on.
      arena.enabled = false;
      return makeUniforms(uniforms);
    }
    // The backend's pooled uniform buffer was not written: back to the pool.
    backend.uniformPendingDisposal.pop();
    backend.bufferManager.releaseBuffer(binding.buffer);
    const slot = Math.ceil(data.byteLength / arena.alignment) *
      arena.alignment;
    if (arena.used + slot > ARENA_BYTES) {
      // Full: submit what is recorded, with its uniforms, and start again.
      backend.endComputePassEncoder();
      backend.submitQueue();
    }
    const offset = arena.used;
    arena.bytes.set(data, offset);
    arena.used += slot;
    return { buffer: arena.buffer, offset, size: data.byteLength };
  };
}

/**
 * Turns batched submission on or off on the current webgpu backend (off:
 * tfjs' own uploads and 15 dispatches per submit) as the options say; a no-op
 * where it is not installed.
 */
function applyBatchedSubmission(options: Readonly<ExecutionOptions>): void {
  const backend = webGpuInternals();
  const arena = backend ? arenas.get(backend) : undefined;
  if (!backend || !arena) return;
  // Uniforms already in the arena still go up with the batch that reads them.
  arena.enabled = options.batchedSubmission;
  tf.env().set(
    SUBMIT_FLAG,
    options.batchedSubmission
      ? DISPATCHES_PER_SUBMIT
      : TFJS_DISPATCHES_PER_SUBMIT,
  );
}

/**
 * Whether batched submission is on for the current backend: false where it is
 * not installed, or where the backend's uploads were not the ones it was
 * written for.
 */
export function batchedSubmissionEnabled(): boolean {
  const backend = webGpuInternals();
  return backend ? arenas.get(backend)?.enabled ?? false : false;
}

/** Batched uniform uploads so far on the current backend (0 where not installed). */
export function batchedUniformUploads(): number {
  const backend = webGpuInternals();
  return backend ? arenas.get(backend)?.uploads ?? 0 : 0;
}
