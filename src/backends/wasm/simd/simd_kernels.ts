/**
 * The SIMD kernels (`*_kernel_text.ts`), compiled once (by wabt, from npm) and
 * instantiated on the wasm backend's own memory, so that they read and write
 * tensors in place: no copies in or out of the heap, no XNNPACK set-up.
 * {@linkcode prepareSimdKernels} runs when the wasm backend starts; until then,
 * and on every other backend, {@linkcode simdKernels} answers null and the ops
 * take their portable paths.
 */
import wabtInit from "wabt";
import * as tf from "../../../tf.ts";
import { executionOptions } from "../../../ops/execution_options.ts";
import { convolutionKernelText } from "./convolution_kernel_text.ts";
import { layoutKernelText } from "./layout_kernel_text.ts";
import { batchNormKernelText } from "./batch_norm_kernel_text.ts";
import { productKernelText } from "./product_kernel_text.ts";
import { shuffleKernelText } from "./shuffle_kernel_text.ts";
import { KERNEL_SPLITS } from "./kernel_splits.ts";
import { KernelPool } from "../kernel_pool.ts";
import { MAX_CHUNKS } from "../kernel_pool_protocol.ts";
import { wasmThreads } from "../threaded_build.ts";
import type { KernelWork } from "../../backend_unit.ts";
import { simdKernelKind, simdKernelWork } from "./kernel_work.ts";
import "../wasm_options.ts";

type DepthwiseKernel = (
  a: number,
  b: number,
  out: number,
  n: number,
  h: number,
  w: number,
  c: number,
  oh: number,
  ow: number,
  kh: number,
  kw: number,
  /** log2 of the stride. */
  shift: number,
  dilation: number,
  padTop: number,
  padLeft: number,
) => void;

type MatMulKernel = (
  a: number,
  b: number,
  out: number,
  rows: number,
  inner: number,
  cols: number,
) => void;

type TransposedMatMulKernel = (
  a: number,
  b: number,
  out: number,
  rows: number,
  inner: number,
  cols: number,
  chunk: number,
) => void;

/** `gemm_at_v`: the transposed product's arguments, then `a`'s row stride. */
type StridedTransposedMatMulKernel = (
  ...args: [...Parameters<TransposedMatMulKernel>, lda: number]
) => void;

/** The K = 4 channel shuffle's: the four groups, their strides, the output. */
type ShuffleKernel = (
  g0: number,
  g1: number,
  g2: number,
  g3: number,
  s0: number,
  s1: number,
  out: number,
  pixels: number,
  part: number,
) => void;

/**
 * Copies `n0 * n1 * n2` runs of `len` floats from `s0` to `d0`; `ss*` and
 * `ds*` are the source's and destination's strides of the three counts.
 */
type CopyKernel = (
  s0: number,
  d0: number,
  n0: number,
  n1: number,
  n2: number,
  len: number,
  ss0: number,
  ss1: number,
  ss2: number,
  ds0: number,
  ds1: number,
  ds2: number,
) => void;

/** The shape arguments of the pooling kernels. */
type WindowArguments = [
  n: number,
  h: number,
  w: number,
  c: number,
  oh: number,
  ow: number,
  kernel: number,
  stride: number,
  padding: number,
];

type MaxPoolGradKernel = (
  x: number,
  dy: number,
  dx: number,
  ...window: WindowArguments
) => void;

/** A pooling forward (maximum or average): its input, then its output. */
type PoolForwardKernel = (
  input: number,
  out: number,
  ...window: WindowArguments
) => void;

/** The average pool's gradient: from the output's gradient (`out`) to the input's. */
type AveragePoolGradKernel = (
  out: number,
  input: number,
  ...window: WindowArguments
) => void;

type BatchNormMomentsKernel = (
  x: number,
  stats: number,
  pixels: number,
  c: number,
) => void;

type BatchNormBackwardSumsKernel = (
  dy: number,
  x: number,
  mean: number,
  sums: number,
  pixels: number,
  c: number,
) => void;

type BatchNormAffineKernel = (
  a: number,
  b: number,
  out: number,
  coef: number,
  pixels: number,
  c: number,
) => void;

/** The exported kernels (see the `*_kernel_text.ts` files for each one's contract). */
export interface KernelExports {
  copy_blocks: CopyKernel;
  zero(dst: number, count: number): void;
  transpose_v(src: number, dst: number, rows: number, cols: number): void;
  scale(px: number, po: number, n: number, s: number): void;
  axpy(px: number, po: number, n: number, s: number): void;
  sum2(pa: number, pb: number, po: number, n: number): void;
  dot(px: number, py: number, n: number): number;
  maxpool_forward_v: PoolForwardKernel;
  maxpool_forward_s: PoolForwardKernel;
  maxpool_grad_v: MaxPoolGradKernel;
  maxpool_grad_s: MaxPoolGradKernel;
  avgpool_forward_v: PoolForwardKernel;
  avgpool_forward_s: PoolForwardKernel;
  avgpool_grad_v: AveragePoolGradKernel;
  avgpool_grad_s: AveragePoolGradKernel;
  relu(x: number, out: number, n: number): void;
  relu_grad(x: number, dy: number, dx: number, n: number): void;
  bn_moments: BatchNormMomentsKernel;
  bn_backward_sums: BatchNormBackwardSumsKernel;
  bn_centered_affine: BatchNormAffineKernel;
  bn_moments_d: BatchNormMomentsKernel;
  bn_backward_sums_d: BatchNormBackwardSumsKernel;
  bn_centered_affine_d: BatchNormAffineKernel;
  depthwise_forward_v: DepthwiseKernel;
  depthwise_inputGrad_v: DepthwiseKernel;
  depthwise_filterGrad_v: DepthwiseKernel;
  depthwise_forward_s: DepthwiseKernel;
  depthwise_inputGrad_s: DepthwiseKernel;
  depthwise_filterGrad_s: DepthwiseKernel;
  depthwise_forward_d: DepthwiseKernel;
  depthwise_inputGrad_d: DepthwiseKernel;
  depthwise_filterGrad_d: DepthwiseKernel;
  depthwise_forward_p: DepthwiseKernel;
  depthwise_inputGrad_p: DepthwiseKernel;
  matmul_s: MatMulKernel;
  matmul_at_s: TransposedMatMulKernel;
  gemm_v: MatMulKernel;
  gemm_at_v: StridedTransposedMatMulKernel;
  gemm_at_blocked_v: StridedTransposedMatMulKernel;
  shuffle4_gather_v: ShuffleKernel;
  shuffle4_scatter_v: ShuffleKernel;
}

interface WasmBackendInternals {
  wasm: {
    /** The unthreaded builds export their memory. */
    asm: { memory?: WebAssembly.Memory };
    /** The threaded build imports its (shared) memory. */
    wasmMemory?: WebAssembly.Memory;
    _malloc(bytes: number): number;
    _free(pointer: number): void;
  };
  getMemoryOffset(dataId: unknown): number;
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  refCount(dataId: unknown): number;
}

/** The wasm backend's heap, whichever build runs. */
function heapOf(backend: WasmBackendInternals): WebAssembly.Memory {
  const memory = backend.wasm.asm.memory ?? backend.wasm.wasmMemory;
  if (!memory) throw new Error("the wasm backend exposes no memory");
  return memory;
}

/** Whether a memory is shared (the threaded build's). */
function isShared(memory: WebAssembly.Memory): boolean {
  return typeof SharedArrayBuffer !== "undefined" &&
    memory.buffer instanceof SharedArrayBuffer;
}

// Compiled once per kind of memory (a shared one needs a shared import).
const compiled = new Map<boolean, Promise<WebAssembly.Module>>();
// The kernels bound to one wasm backend, and the memory they were made for.
let instance:
  | { bound: SimdKernels; plain: KernelExports; memory: WebAssembly.Memory }
  | null = null;
// Workers on the shared heap of the threaded build (none unthreaded).
let pool: KernelPool | null = null;

/**
 * Chunks per thread a split call is cut into, so that the threads share the
 * call's work however late each starts or however fast each runs.
 */
const CHUNKS_PER_THREAD = 4;

/**
 * The kernels with each splittable one dispatched across the pool, in
 * chunks for as many threads as the `threads` option in force allows (the
 * calling thread is one).
 */
function parallelKernels(
  kernels: KernelExports,
  workers: KernelPool,
): KernelExports {
  const out: Record<string, unknown> = { ...kernels };
  for (const [name, split] of Object.entries(KERNEL_SPLITS)) {
    const run =
      (kernels as unknown as Record<string, (...a: number[]) => void>)[
        name
      ];
    out[name] = (...args: number[]) => {
      const threads = Math.min(executionOptions().threads, workers.size + 1);
      const calls = threads > 1
        ? split(args, Math.min(MAX_CHUNKS, threads * CHUNKS_PER_THREAD))
        : null;
      if (calls === null) run(...args);
      else workers.run(name, calls, run);
    };
  }
  return out as unknown as KernelExports;
}

/**
 * The text of the kernels' module: every `*_kernel_text.ts` function, importing
 * the backend's memory (shared under the threaded build).
 */
export function simdModuleText(shared: boolean): string {
  return `(module
  (import "env" "memory" ${shared ? "(memory 1 65536 shared)" : "(memory 1)"})
  ${
    [
      ...convolutionKernelText(),
      ...layoutKernelText(),
      ...batchNormKernelText(),
      ...productKernelText(),
      ...shuffleKernelText(),
    ].join("\n")
  }
)`;
}

async function compile(shared: boolean): Promise<WebAssembly.Module> {
  const wabt = await wabtInit();
  const text = simdModuleText(shared);
  const parsed = wabt.parseWat("simd_kernels.wat", text, {
    simd: true,
    bulk_memory: true,
    threads: shared,
  });
  try {
    const { buffer } = parsed.toBinary({ write_debug_names: true });
    return await WebAssembly.compile(buffer as Uint8Array<ArrayBuffer>);
  } finally {
    parsed.destroy();
  }
}

function wasmBackend(): WasmBackendInternals {
  return tf.backend() as unknown as WasmBackendInternals;
}

/**
 * Compiles the kernels (once per process) and binds them to the wasm backend's
 * memory. Call after `tf.setBackend("wasm")`; a no-op on other backends.
 */
export async function prepareSimdKernels(): Promise<void> {
  if (tf.getBackend() !== "wasm") return;
  const memory = heapOf(wasmBackend());
  if (instance?.memory === memory) return;
  const shared = isShared(memory);
  if (!compiled.has(shared)) {
    compiled.set(
      shared,
      compile(shared).catch((error) => {
        compiled.delete(shared);
        throw new Error(
          `the wasm backend's SIMD kernels failed to compile (${
            error instanceof Error ? error.message : error
          }); the npm package wabt@1.0.39 must be installed with the others (deno install), or choose --backend cpu`,
        );
      }),
    );
  }
  const module = await compiled.get(shared)!;
  const created = await WebAssembly.instantiate(module, { env: { memory } });
  let kernels = created.exports as unknown as KernelExports;
  pool?.stop();
  pool = null;
  const threads = wasmThreads() ?? 1;
  if (shared && threads > 1) {
    pool = await KernelPool.start(
      module,
      memory,
      Object.keys(KERNEL_SPLITS),
      threads - 1,
    );
    kernels = parallelKernels(kernels, pool);
  }
  instance = { bound: bind(kernels, wasmBackend()), plain: kernels, memory };
}

/** The kernels, each recording its work and wall time into `calls`. */
function recording(
  kernels: KernelExports,
  calls: KernelWork[],
): KernelExports {
  const out: Record<string, unknown> = {};
  for (
    const [name, run] of Object.entries(
      kernels as unknown as Record<string, (...a: number[]) => unknown>,
    )
  ) {
    const kind = `simd ${simdKernelKind(name)}`;
    out[name] = (...args: number[]) => {
      const started = performance.now();
      const result = run(...args);
      const ms = performance.now() - started;
      const work = simdKernelWork(name, args);
      if (work !== null) calls.push({ kind, ...work, ms });
      return result;
    };
  }
  return out as unknown as KernelExports;
}

/**
 * Starts recording every SIMD kernel call's work and wall time; the returned
 * function stops and returns them (the backend unit's `recordKernelWork`).
 * The ops read `kernels` at each call, so recording swaps in wrapped kernels
 * and stopping swaps the plain ones back: unrecorded calls cost nothing more.
 */
export function recordSimdKernelWork(): () => KernelWork[] {
  const calls: KernelWork[] = [];
  const current = instance;
  if (current === null) return () => calls;
  const wrapped = recording(current.plain, calls);
  current.bound.kernels = wrapped;
  return () => {
    if (current.bound.kernels === wrapped) {
      current.bound.kernels = current.plain;
    }
    return calls;
  };
}

/** The kernels with pointer, allocation and scratch helpers for `backend`. */
function bind(
  kernels: KernelExports,
  backend: WasmBackendInternals,
): SimdKernels {
  const memory = heapOf(backend);
  return {
    kernels,
    pointer: (t) => {
      if (t.dtype !== "float32") {
        throw new Error(`SIMD kernels take float32 tensors, got ${t.dtype}`);
      }
      return backend.getMemoryOffset(t.dataId);
    },
    exclusive: (t) => backend.refCount(t.dataId) === 1,
    allocate: (shape) => {
      const info = backend.makeOutput(shape, "float32");
      const tensor = tf.engine().makeTensorFromTensorInfo(info);
      return { tensor, pointer: backend.getMemoryOffset(info.dataId) };
    },
    withScratch: (count, f) => {
      const pointer = backend.wasm._malloc(count * 8) >>> 0;
      try {
        return f(
          pointer,
          () => new Float64Array(memory.buffer, pointer, count),
        );
      } finally {
        backend.wasm._free(pointer);
      }
    },
  };
}

/** What the ops call: the kernels plus tensor pointers and allocation. */
export interface SimdKernels {
  /** The compiled kernels. */
  kernels: KernelExports;
  /** The byte offset of a float32 tensor's data in the heap. */
  pointer(t: tf.Tensor): number;
  /**
   * Whether no other tensor shares `t`'s buffer, so that a kernel may write it
   * in place.
   */
  exclusive(t: tf.Tensor): boolean;
  /** A new (uninitialised) float32 tensor in the heap, and its offset. */
  allocate(shape: number[]): { tensor: tf.Tensor; pointer: number };
  /**
   * Runs `f` with `count` float64s of scratch memory in the heap (its offset
   * and a view of it, valid until the heap next grows), freed afterwards.
   */
  withScratch<T>(
    count: number,
    f: (pointer: number, view: () => Float64Array) => T,
  ): T;
}

/**
 * The kernels when the active backend is wasm and they were prepared for its
 * memory, else null (the caller takes its portable path).
 */
export function simdKernels(): SimdKernels | null {
  if (
    !executionOptions().simdKernels || instance === null ||
    tf.getBackend() !== "wasm"
  ) return null;
  return heapOf(wasmBackend()) === instance.memory ? instance.bound : null;
}
