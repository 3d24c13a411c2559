/**
 * Bind groups reused from one search step to the next on the webgpu backend.
 * A dispatch's bind group names its layout and the buffers (with offsets and
 * sizes) it reads and writes; creating one is among the host's costliest calls
 * of a dispatch (WebIDL conversion, wgpu's validation and tracking; figures:
 * benchmarks/SPEED_NOTES.md). A step whose shapes repeat binds the same buffers in
 * the same places, if each step picks the same buffers, and tfjs' buffer pool
 * does not: it hands out the buffer released last, so the free buffers' order
 * at a step's start, and with it every choice, shifts from step to step. Here:
 *
 * - the pool hands out, among its free buffers of the size asked for, the one
 *   created first (a choice that depends on which buffers are free, not on
 *   the order they were freed in);
 * - a pipeline's bind group layout is one object (tfjs asks for it at every
 *   dispatch, and each call made a new one);
 * - bind groups are kept by layout, buffers, offsets and sizes, and handed
 *   back when asked for again; a destroyed buffer's are dropped, and the whole
 *   cache when it outgrows {@linkcode MOST_BIND_GROUPS}.
 *
 * The bind group for the same resources is the same binding, so results are
 * the same bits (`bind_group_reuse_test.ts`). Follows the execution option
 * `bindGroupReuse`.
 */
import * as tf from "../../tf.ts";
import {
  type ExecutionOptions,
  executionOptions,
  onExecutionOptionsChange,
} from "../../ops/execution_options.ts";
import "./webgpu_options.ts";

/** Bind groups kept at most; then the cache starts again. */
export const MOST_BIND_GROUPS = 65536;

interface BufferManagerInternals {
  freeBuffers: Map<string, GPUBuffer[]>;
  acquireBuffer(
    size: number,
    usage: number,
    mappedAtCreation?: boolean,
    reuse?: boolean,
  ): GPUBuffer;
}

interface Reuse {
  enabled: boolean;
  cache: Map<string, GPUBindGroup>;
  /** The cache keys that name each buffer (to drop when it is destroyed). */
  keysOf: Map<GPUBuffer, string[]>;
  hits: number;
  created: number;
}

const states = new WeakMap<GPUDevice, Reuse>();
const ids = new WeakMap<object, number>();
let nextId = 1;

/** A number per object, in order of first sight (buffers: of creation). */
function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) {
    id = nextId++;
    ids.set(o, id);
  }
  return id;
}

function internals():
  | { device: GPUDevice; bufferManager: BufferManagerInternals }
  | null {
  if (tf.getBackend() !== "webgpu") return null;
  const backend = tf.backend() as unknown as {
    device?: GPUDevice;
    bufferManager?: Partial<BufferManagerInternals>;
  };
  const manager = backend.bufferManager;
  const ok = backend.device && manager?.freeBuffers instanceof Map &&
    typeof manager.acquireBuffer === "function";
  return ok
    ? {
      device: backend.device!,
      bufferManager: manager as BufferManagerInternals,
    }
    : null;
}

let prototypesPatched = false;

/** One layout object per pipeline and group; buffers' bind groups dropped with them. */
function patchPrototypes(): void {
  if (prototypesPatched) return;
  prototypesPatched = true;
  const pipeline = GPUComputePipeline.prototype as unknown as {
    getBindGroupLayout(index: number): GPUBindGroupLayout;
  };
  const getLayout = pipeline.getBindGroupLayout;
  const layouts = new WeakMap<object, GPUBindGroupLayout[]>();
  pipeline.getBindGroupLayout = function (this: object, index: number) {
    let known = layouts.get(this);
    if (known === undefined) {
      known = [];
      layouts.set(this, known);
    }
    return known[index] ??= getLayout.call(this, index);
  };
  const buffer = GPUBuffer.prototype as unknown as { destroy(): void };
  const destroy = buffer.destroy;
  buffer.destroy = function (this: GPUBuffer) {
    for (const state of reuseStates) forget(state, this);
    return destroy.call(this);
  };
}

/** Every device's state, for dropping a destroyed buffer's bind groups. */
const reuseStates = new Set<Reuse>();

function forget(state: Reuse, buffer: GPUBuffer): void {
  const keys = state.keysOf.get(buffer);
  if (keys === undefined) return;
  for (const key of keys) state.cache.delete(key);
  state.keysOf.delete(buffer);
}

function patch(device: GPUDevice, manager: BufferManagerInternals): Reuse {
  const state: Reuse = {
    enabled: false,
    cache: new Map(),
    keysOf: new Map(),
    hits: 0,
    created: 0,
  };
  reuseStates.add(state);
  patchPrototypes();
  const acquire = manager.acquireBuffer.bind(manager);
  manager.acquireBuffer = (
    size,
    usage,
    mappedAtCreation = false,
    reuse = true,
  ) => {
    const free = manager.freeBuffers.get(`${size}_${usage}`);
    if (state.enabled && reuse && free !== undefined && free.length > 1) {
      // The first-created free buffer goes last, where tfjs' pop takes it.
      let first = free.length - 1;
      for (let i = 0; i < free.length - 1; i++) {
        if (idOf(free[i]) < idOf(free[first])) first = i;
      }
      const last = free.length - 1;
      [free[first], free[last]] = [free[last], free[first]];
    }
    return acquire(size, usage, mappedAtCreation, reuse);
  };
  const create = device.createBindGroup.bind(device);
  device.createBindGroup = (descriptor: GPUBindGroupDescriptor) => {
    if (!state.enabled) return create(descriptor);
    const entries = descriptor.entries as GPUBindGroupEntry[];
    if (!Array.isArray(entries)) return create(descriptor);
    let key = String(idOf(descriptor.layout));
    for (let i = 0; i < entries.length; i++) {
      const resource = entries[i].resource as GPUBufferBinding;
      if (!(resource.buffer instanceof GPUBuffer)) return create(descriptor);
      key += `|${entries[i].binding}:${idOf(resource.buffer)}:${
        resource.offset ?? 0
      }:${resource.size ?? -1}`;
    }
    const known = state.cache.get(key);
    if (known !== undefined) {
      state.hits++;
      return known;
    }
    if (state.cache.size >= MOST_BIND_GROUPS) {
      state.cache.clear();
      state.keysOf.clear();
    }
    const group = create(descriptor);
    state.created++;
    state.cache.set(key, group);
    for (const entry of entries) {
      const buffer = (entry.resource as GPUBufferBinding).buffer;
      const keys = state.keysOf.get(buffer);
      if (keys === undefined) state.keysOf.set(buffer, [key]);
      else keys.push(key);
    }
    return group;
  };
  return state;
}

function apply(options: Readonly<ExecutionOptions>): void {
  const found = internals();
  const state = found ? states.get(found.device) : undefined;
  if (!state) return;
  state.enabled = options.bindGroupReuse;
  if (!state.enabled) {
    state.cache.clear();
    state.keysOf.clear();
  }
}

/**
 * Installs the reuse on the current webgpu backend (once per device), on or
 * off as the execution option `bindGroupReuse` says, and follows the option
 * from then on. Returns false where the backend is not webgpu or its buffer
 * pool is not the one this was written for.
 */
export function installBindGroupReuse(): boolean {
  const found = internals();
  if (found === null) return false;
  if (!states.has(found.device)) {
    states.set(found.device, patch(found.device, found.bufferManager));
  }
  apply(executionOptions());
  onExecutionOptionsChange(apply);
  return true;
}

/**
 * Bind groups handed back from the cache, created, and kept now, on the
 * current backend.
 */
export function bindGroupReuseCounts(): {
  hits: number;
  created: number;
  kept: number;
} {
  const found = internals();
  const state = found ? states.get(found.device) : undefined;
  return {
    hits: state?.hits ?? 0,
    created: state?.created ?? 0,
    kept: state?.cache.size ?? 0,
  };
}
