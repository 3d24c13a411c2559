/**
 * The webgpu backend's execution options: our WGSL programs, batched
 * submission, bind-group reuse and the two-level reductions' chunk. Importing
 * this file adds them to `ExecutionOptions`.
 */
import { registerExecutionOptions } from "../../ops/execution_options.ts";

declare module "../../ops/execution_options.ts" {
  interface ExecutionOptions {
    /** webgpu: our WGSL programs (off: tfjs' kernels). */
    webGpuPrograms: boolean;
    /** webgpu: batched uniform uploads and 64 dispatches per submit (off: tfjs' 15). */
    batchedSubmission: boolean;
    /** webgpu: pixels per partial sum of the two-level reductions (Infinity: one level). */
    reductionChunk: number;
    /** webgpu: bind groups kept and reused when a step binds the same buffers. */
    bindGroupReuse: boolean;
  }
}

registerExecutionOptions({
  owner: "webgpu",
  defaults: {
    webGpuPrograms: true,
    batchedSubmission: true,
    reductionChunk: 4096,
    bindGroupReuse: true,
  },
  check(o) {
    const chunk = o.reductionChunk;
    if (!(chunk === Infinity || (Number.isInteger(chunk) && chunk > 0))) {
      throw new Error(
        `execution option reductionChunk must be a positive whole number of pixels or Infinity, not ${chunk}`,
      );
    }
  },
  switchesOn: (o) =>
    [
      o.webGpuPrograms && "programs",
      o.batchedSubmission && "batched",
      o.bindGroupReuse && "reuse",
    ].filter((s): s is string => typeof s === "string"),
  settings: (o) => [`chunk ${o.reductionChunk}`],
});
