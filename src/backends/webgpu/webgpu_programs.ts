/**
 * Our own WGSL compute programs on tfjs' webgpu backend. Each replaces a chain
 * of small tfjs kernels (a batch norm was about 23 dispatches forward and
 * backward, a depthwise gradient a dozen with its padded, zero-inserted and
 * transposed copies) by one or a few dispatches that read tensors in place; on
 * a GPU every dispatch costs tens of microseconds of host work, which the
 * search's many small tensors do not hide.
 *
 * A program is written in tfjs' WGSL dialect: inputs are storage arrays named
 * after `variableNames`, `result` is the output, shapes and the program's own
 * uniforms are in `uniforms`, and the code defines `fn main()` (workgroup-level
 * programs read the private `workgroupId`, `localId` and `localIndex`) or
 * `fn main(index: i32)` for one invocation per output element.
 */
import * as tf from "../../tf.ts";
import { executionOptions } from "../../ops/execution_options.ts";
import "./webgpu_options.ts";

/** A uniform value of a program: `i32` or `f32` scalars or vectors. */
export interface ProgramUniform {
  type: "int32" | "float32";
  data: number[];
}

/** The parts of tfjs' `WebGPUProgram` our programs set. */
export interface Program {
  /** Cache key of the compiled shader (with compile-time constants in it). */
  shaderKey: string;
  /** Output shape. */
  outputShape: number[];
  /** Input names, in the order of the inputs. */
  variableNames: string[];
  /** Workgroup size. */
  workgroupSize: [number, number, number];
  /** Number of workgroups in x, y and z. */
  dispatch: [number, number, number];
  /** Which output axes map to x, y and z (tfjs' bookkeeping). */
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  /** Declares `uniforms.size` (the output size). */
  size?: boolean;
  /** The program's own uniform declarations (`name : i32,` each). */
  uniforms?: string;
  /** The WGSL body: module-scope declarations and `fn main`. */
  getUserCode: () => string;
}

interface WebGpuBackendInternals {
  runWebGPUProgram(
    program: Program,
    inputs: tf.TensorInfo[],
    outputDtype: "float32",
    uniforms?: ProgramUniform[],
  ): tf.TensorInfo;
}

let dispatched = 0;

/**
 * How many of our programs have been dispatched so far: tfjs' profiler sees
 * only its own kernels, so benchmarks add this to their kernel counts.
 */
export function programDispatchCount(): number {
  return dispatched;
}

/** Counts one dispatch of a program recorded outside `runProgram`. */
export function countProgramDispatch(): void {
  dispatched++;
}

/** Whether the ops should run our programs: the backend is webgpu and they are on. */
export function webGpuProgramsActive(): boolean {
  return executionOptions().webGpuPrograms && tf.getBackend() === "webgpu";
}

/** Runs `program` on the webgpu backend and returns its float32 output. */
export function runProgram(
  program: Program,
  inputs: tf.Tensor[],
  uniforms: ProgramUniform[] = [],
): tf.Tensor {
  const backend = tf.backend() as unknown as WebGpuBackendInternals;
  for (const input of inputs) {
    if (input.dtype !== "float32") {
      throw new Error(
        `${program.shaderKey}: inputs must be float32, got ${input.dtype}`,
      );
    }
  }
  // tfjs names a program by its constructor in GPU-time profiles; ours are
  // plain objects, so each carries its shader key as that name.
  Object.defineProperty(program, "constructor", {
    value: { name: program.shaderKey },
  });
  const info = backend.runWebGPUProgram(program, inputs, "float32", uniforms);
  dispatched++;
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * Pixels per partial sum in the two-level reductions (batch norm's sums, the
 * depthwise filter gradient). One workgroup per channel (or filter tap)
 * leaves most of a GPU idle on the search's few-channel, many-pixel tensors
 * (4 channels of 256·32·32 pixels at the paper's batch: 4 workgroups, 1,024
 * sequential reads per invocation), so above this many pixels the sums are
 * taken in chunks by `[channels × chunks]` workgroups, then finished by a
 * second dispatch; at most this many pixels, one dispatch does it all.
 */
export function reductionChunk(): number {
  return executionOptions().reductionChunk;
}

/** Invocations per workgroup of the reducing programs (WebGPU's default limit). */
export const REDUCE_WORKGROUP = 256;

/**
 * WGSL for a workgroup-wide sum: `workgroupSum(v)` returns the sum of every
 * invocation's `v` to all of them (a tree in workgroup memory). Call it from
 * uniform control flow only.
 */
export function workgroupSumSnippet(name = "workgroupSum"): string {
  return `
  var<workgroup> ${name}Partial : array<f32, ${REDUCE_WORKGROUP}>;
  fn ${name}(value : f32) -> f32 {
    let lane = i32(localIndex);
    ${name}Partial[lane] = value;
    workgroupBarrier();
    var span = ${REDUCE_WORKGROUP / 2};
    loop {
      if (span == 0) { break; }
      if (lane < span) {
        ${name}Partial[lane] = ${name}Partial[lane] + ${name}Partial[lane + span];
      }
      workgroupBarrier();
      span = span / 2;
    }
    let total = ${name}Partial[0];
    workgroupBarrier();
    return total;
  }
`;
}

/**
 * The layout of a reduction: `x` by `y` workgroups of {@linkcode REDUCE_WORKGROUP}
 * invocations, each summing its own slice (a channel, a chunk of it).
 */
export function reductionWorkgroups(
  x: number,
  y = 1,
): Pick<Program, "workgroupSize" | "dispatch" | "dispatchLayout"> {
  return {
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: [x, y, 1],
    dispatchLayout: { x: [0] },
  };
}

/**
 * Workgroups for one invocation per element, `[x, y, 1]` within WebGPU's
 * per-dimension limit; with `size: true` and a flat `dispatchLayout`, tfjs
 * passes the flat invocation index to `fn main(index : i32)`.
 */
export function elementDispatch(
  elements: number,
  workgroup: number,
): [number, number, number] {
  const groups = Math.ceil(elements / workgroup);
  if (groups <= 65535) return [groups, 1, 1];
  const y = Math.ceil(groups / 65535);
  return [Math.ceil(groups / y), y, 1];
}

/**
 * `result[t] = Σₖ Σ_chunk partialsₖ[chunk·width + t]` over up to seven
 * partial-sum tensors of `chunks` rows each, one workgroup per `t`: the second
 * level of a two-level reduction.
 */
function sumChunksProgram(width: number, inputs: number): Program {
  const names = Array.from({ length: inputs }, (_, k) => `partials${k}`);
  return {
    shaderKey: `pcdarts_sum_chunks_${inputs}`,
    outputShape: [width],
    variableNames: names,
    ...reductionWorkgroups(width),
    uniforms: "chunks : i32,",
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn main(index : i32) {
        let t = i32(workgroupId.x);
        let width = i32(numWorkgroups.x);
        var sum = 0.0;
        for (var piece = i32(localIndex); piece < uniforms.chunks; piece = piece + ${REDUCE_WORKGROUP}) {
          sum = sum + ${
      names.map((n) => `${n}[piece * width + t]`).join(" + ")
    };
        }
        let total = workgroupSum(sum);
        if (localIndex == 0u) {
          result[t] = total;
        }
      }`,
  };
}

/**
 * Adds up partial sums: each of `partials` (one to seven) holds `chunks` rows
 * of `width` values; returns the `[width]` totals in one dispatch.
 */
export function sumChunks(
  partials: tf.Tensor[],
  width: number,
  chunks: number,
): tf.Tensor {
  return runProgram(sumChunksProgram(width, partials.length), partials, [
    { type: "int32", data: [chunks] },
  ]);
}

/** What {@linkcode elementProgram} builds a program from. */
export interface ElementSpec {
  /** Cache key of the compiled shader. */
  shaderKey: string;
  /** The output shape. */
  outputShape: number[];
  /** Input names, in the order of the inputs. */
  variableNames: string[];
  /** The program's own uniform declarations. */
  uniforms?: string;
  /** Module-scope WGSL before `main` (helper functions). */
  prelude?: string;
  /** WGSL run per output element, its flat index in `index`. */
  body: string;
}

/** A program with one invocation per output element. */
export function elementProgram(spec: ElementSpec): Program {
  const size = spec.outputShape.reduce((a, b) => a * b, 1);
  return {
    shaderKey: spec.shaderKey,
    outputShape: spec.outputShape,
    variableNames: spec.variableNames,
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: elementDispatch(size, REDUCE_WORKGROUP),
    dispatchLayout: { x: spec.outputShape.map((_, i) => i) },
    size: true,
    uniforms: spec.uniforms,
    getUserCode: () => `
      ${spec.prelude ?? ""}
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${spec.body}
        }
      }`,
  };
}

/**
 * A program with one invocation per element of an NHWC output; its body also
 * has `n`, `i` (row), `j` (column), `c` and `channels`.
 */
export function nhwcElementProgram(spec: ElementSpec): Program {
  return elementProgram({
    ...spec,
    body: `
          let channels = uniforms.outShape.w;
          let c = index % channels;
          let j = (index / channels) % uniforms.outShape.z;
          let i = (index / (channels * uniforms.outShape.z)) % uniforms.outShape.y;
          let n = index / (channels * uniforms.outShape.z * uniforms.outShape.y);
          ${spec.body}`,
  });
}

/**
 * How a two-level reduction splits `count` items (pixels, rows or elements)
 * into at most 65,535 chunks of about `perChunk` (default
 * {@linkcode reductionChunk}): the number of chunks and the items in each but
 * the last.
 */
export function chunking(
  count: number,
  perChunk = reductionChunk(),
): { chunks: number; chunk: number } {
  const chunks = Math.min(65535, Math.max(1, Math.ceil(count / perChunk)));
  return { chunks, chunk: Math.ceil(count / chunks) };
}
