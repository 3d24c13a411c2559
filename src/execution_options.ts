/**
 * The process-wide choices of how (not what) the ops compute, as one typed
 * object. Each has been checked to give the same numbers on and off (the
 * ops' tests); they exist for A/B measurements. A run records the options it
 * ran with in its `config.json`, and every benchmark row in its `execution`
 * column.
 */
import {
  backwardReleaseEnabled,
  setBackwardRelease,
} from "./ops/backward_release.ts";
import {
  groupedGradientSumsEnabled,
  setGroupedGradientSums,
} from "./ops/grouped_gradient_sums.ts";
import {
  setSimdKernelsEnabled,
  simdKernelsEnabled,
} from "./ops/simd/simd_kernels.ts";
import {
  reductionChunk,
  setReductionChunk,
  setWebGpuProgramsEnabled,
  webGpuProgramsEnabled,
} from "./ops/webgpu/webgpu_programs.ts";
import {
  batchedSubmissionEnabled,
  setBatchedSubmission,
} from "./ops/webgpu/batched_submission.ts";
import {
  setSharedEdgeInputs,
  sharedEdgeInputsEnabled,
} from "./space/shared_edge_inputs.ts";

/** How the ops compute. */
export interface ExecutionOptions {
  /** wasm: our SIMD kernels on the wasm heap (off: tfjs' kernels). */
  simdKernels: boolean;
  /** webgpu: our WGSL programs (off: tfjs' kernels). */
  webGpuPrograms: boolean;
  /** webgpu: batched uniform uploads and 64 dispatches per submit (off: tfjs' 15). */
  batchedSubmission: boolean;
  /** webgpu: pixels per partial sum of the two-level reductions (Infinity: one level). */
  reductionChunk: number;
  /** A tensor's gradient contributions summed 7 to a kernel. */
  groupedGradientSums: boolean;
  /** Upstream gradients and saved tensors freed as the backward pass goes. */
  backwardRelease: boolean;
  /** A node's edges share the partial-channel slice of their input. */
  sharedEdgeInputs: boolean;
}

/** The options in force now. */
export function currentExecutionOptions(): ExecutionOptions {
  return {
    simdKernels: simdKernelsEnabled(),
    webGpuPrograms: webGpuProgramsEnabled(),
    batchedSubmission: batchedSubmissionEnabled(),
    reductionChunk: reductionChunk(),
    groupedGradientSums: groupedGradientSumsEnabled(),
    backwardRelease: backwardReleaseEnabled(),
    sharedEdgeInputs: sharedEdgeInputsEnabled(),
  };
}

/** Applies the given options; returns all of them as they were before. */
export function setExecutionOptions(
  options: Partial<ExecutionOptions>,
): ExecutionOptions {
  const before = currentExecutionOptions();
  const o = { ...before, ...options };
  setSimdKernelsEnabled(o.simdKernels);
  setWebGpuProgramsEnabled(o.webGpuPrograms);
  setBatchedSubmission(o.batchedSubmission);
  setReductionChunk(o.reductionChunk);
  setGroupedGradientSums(o.groupedGradientSums);
  setBackwardRelease(o.backwardRelease);
  setSharedEdgeInputs(o.sharedEdgeInputs);
  return before;
}

/** Runs `fn` under `options`, then restores the options before it. */
export async function withExecutionOptions<T>(
  options: Partial<ExecutionOptions>,
  fn: () => Promise<T> | T,
): Promise<T> {
  const before = setExecutionOptions(options);
  try {
    return await fn();
  } finally {
    setExecutionOptions(before);
  }
}

/**
 * The options in one CSV cell: the ones that are on, and the reduction chunk
 * (`simd+programs+batched+grouped+release+shared, chunk 4096`).
 */
export function executionLabel(o: ExecutionOptions): string {
  const on = [
    o.simdKernels && "simd",
    o.webGpuPrograms && "programs",
    o.batchedSubmission && "batched",
    o.groupedGradientSums && "grouped",
    o.backwardRelease && "release",
    o.sharedEdgeInputs && "shared",
  ].filter(Boolean);
  return `${on.join("+") || "none"}, chunk ${o.reductionChunk}`;
}
