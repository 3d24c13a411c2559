/**
 * One execution option at a time, for tests that compare a computation with
 * an option on and off: each setter applies its option through
 * `setExecutionOptions` and returns the option's previous value.
 */
import { setExecutionOptions } from "../ops/execution_options.ts";
import "../backends/wasm/wasm_options.ts";
import "../backends/webgpu/webgpu_options.ts";

type BooleanOption =
  | "simdKernels"
  | "webGpuPrograms"
  | "batchedSubmission"
  | "bindGroupReuse"
  | "groupedGradientSums"
  | "backwardRelease";

function booleanSetter(key: BooleanOption): (on: boolean) => boolean {
  return (on) => setExecutionOptions({ [key]: on })[key];
}

/** `simdKernels` on or off; returns the previous value. */
export const setSimdKernelsEnabled = booleanSetter("simdKernels");
/** `webGpuPrograms` on or off; returns the previous value. */
export const setWebGpuProgramsEnabled = booleanSetter("webGpuPrograms");
/** `batchedSubmission` on or off; returns the previous value. */
export const setBatchedSubmission = booleanSetter("batchedSubmission");
/** `bindGroupReuse` on or off; returns the previous value. */
export const setBindGroupReuse = booleanSetter("bindGroupReuse");
/** `groupedGradientSums` on or off; returns the previous value. */
export const setGroupedGradientSums = booleanSetter("groupedGradientSums");
/** `backwardRelease` on or off; returns the previous value. */
export const setBackwardRelease = booleanSetter("backwardRelease");

/** Sets `reductionChunk` (pixels, or `Infinity`); returns the previous value. */
export function setReductionChunk(pixels: number): number {
  return setExecutionOptions({ reductionChunk: pixels }).reductionChunk;
}
