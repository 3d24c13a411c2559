/**
 * The roofline of a search step: a kernel cannot run faster than its
 * floating-point operations at the machine's peak rate, nor than its minimal
 * bytes (inputs read once, outputs written once) at the machine's memory
 * bandwidth. A kernel's bound is the larger of the two times; a step's bound is
 * the sum over its kernels, which run one after another. The measured time
 * over the bound says how far the step is from what this machine could do with
 * the same kernels; the kernels' time above their bounds says where to look.
 *
 * Counted: every tfjs kernel (`tf.profile`'s records: name, shapes, time) and
 * every kernel a backend runs outside tfjs (wasm's SIMD kernels, through the
 * backend unit's `recordKernelWork`). A step's time outside them (tfjs' engine,
 * the ops' JavaScript, host kernels) has no bound of its own: it is the gap
 * between the kernels' time and the step's.
 */
import type { KernelWork } from "../backends/backend_unit.ts";
import type { ProfiledKernel } from "../run/kernel_profile.ts";

/** The machine's two ceilings, as measured (`machine_peak.ts`). */
export interface MachinePeak {
  /** Floating-point operations per second. */
  flopsPerSecond: number;
  /** Bytes per second to and from memory. */
  bytesPerSecond: number;
}

/** The bound of one kernel call in milliseconds. */
export function boundMs(
  work: Pick<KernelWork, "flops" | "bytes">,
  peak: MachinePeak,
): number {
  return 1000 *
    Math.max(
      work.flops / peak.flopsPerSecond,
      work.bytes / peak.bytesPerSecond,
    );
}

/** What the work of a tfjs kernel is counted from: its profile record. */
export type TfjsKernelRecord = Pick<
  ProfiledKernel,
  "name" | "inputShapes" | "outputShapes"
>;

const F32 = 4;

function size(shape: number[] | null | undefined): number {
  return shape ? shape.reduce((a, b) => a * b, 1) : 0;
}

/** Kernels that only relabel a buffer: no arithmetic, no bytes. */
const VIEWS = new Set(["Reshape", "Identity", "ExpandDims", "Squeeze"]);

/**
 * The work of a tfjs kernel call from its name and shapes: convolutions and
 * matrix products by their multiply-adds, two operations each; any other
 * kernel one operation per element of its largest tensor; bytes, every input
 * and output once as float32.
 */
export function tfjsKernelWork(
  record: TfjsKernelRecord,
  ms: number,
): KernelWork {
  const inputs = record.inputShapes ?? [];
  const outputs = record.outputShapes ?? [];
  const bytes = VIEWS.has(record.name)
    ? 0
    : F32 * (inputs.reduce((s, x) => s + size(x), 0) +
      outputs.reduce((s, x) => s + size(x), 0));
  const out = size(outputs[0]);
  let flops: number;
  switch (record.name) {
    case "Conv2D":
    case "FusedConv2D": {
      const [kh, kw, ci] = inputs[1] ?? [0, 0, 0];
      flops = 2 * out * kh * kw * ci;
      break;
    }
    case "Conv2DBackpropInput":
    case "Conv2DBackpropFilter": {
      // Both walk the forward convolution's multiply-adds: the gradient dy
      // (output side, [n, oh, ow, co]) times each filter tap of the input
      // channels.
      const filter = record.name === "Conv2DBackpropInput"
        ? inputs[1]
        : outputs[0];
      const dy = record.name === "Conv2DBackpropInput" ? inputs[0] : inputs[1];
      const [kh, kw, ci] = filter ?? [0, 0, 0];
      flops = 2 * size(dy) * kh * kw * ci;
      break;
    }
    case "DepthwiseConv2dNative":
    case "FusedDepthwiseConv2D": {
      const [kh, kw] = inputs[1] ?? [0, 0];
      flops = 2 * out * kh * kw;
      break;
    }
    case "DepthwiseConv2dNativeBackpropInput":
    case "DepthwiseConv2dNativeBackpropFilter": {
      const filter = record.name === "DepthwiseConv2dNativeBackpropInput"
        ? inputs[1]
        : outputs[0];
      const dy = record.name === "DepthwiseConv2dNativeBackpropInput"
        ? inputs[0]
        : inputs[1];
      const [kh, kw] = filter ?? [0, 0];
      flops = 2 * size(dy) * kh * kw;
      break;
    }
    case "BatchMatMul":
    case "_FusedMatMul": {
      // out [..., m, n]; the inner size from a's elements per output row.
      const shape = outputs[0] ?? [];
      const n = shape.at(-1) ?? 0;
      const rows = n > 0 ? out / n : 0;
      const inner = rows > 0 ? size(inputs[0]) / rows : 0;
      flops = 2 * out * inner;
      break;
    }
    default:
      flops = VIEWS.has(record.name)
        ? 0
        : Math.max(out, ...inputs.map((x) => size(x)));
  }
  return { kind: record.name, flops, bytes, ms };
}

/** The calls of one kernel kind over a step, against their bound. */
export interface KernelKind {
  /** The kind. */
  kind: string;
  /** Calls. */
  calls: number;
  /** Their floating-point operations. */
  flops: number;
  /** Their minimal bytes. */
  bytes: number;
  /** Their roofline bound, summed call by call. */
  boundMs: number;
  /** Their measured wall time. */
  measuredMs: number;
}

/** The calls grouped by kind, the most time above the bound first. */
export function kernelKinds(
  works: KernelWork[],
  peak: MachinePeak,
): KernelKind[] {
  const byKind = new Map<string, KernelKind>();
  for (const w of works) {
    const k = byKind.get(w.kind) ??
      { kind: w.kind, calls: 0, flops: 0, bytes: 0, boundMs: 0, measuredMs: 0 };
    k.calls++;
    k.flops += w.flops;
    k.bytes += w.bytes;
    k.boundMs += boundMs(w, peak);
    k.measuredMs += w.ms;
    byKind.set(w.kind, k);
  }
  return [...byKind.values()].sort((a, b) =>
    (b.measuredMs - b.boundMs) - (a.measuredMs - a.boundMs)
  );
}

/** A step's roofline: its bound, and how its measured time splits. */
export interface StepRoofline {
  /** The sum of every counted kernel's bound. */
  boundMs: number;
  /** The counted kernels' measured time (in the profiled step). */
  kernelMs: number;
  /** Counted kernel calls. */
  calls: number;
  /** Per kind, the most time above the bound first. */
  kinds: KernelKind[];
}

/** The roofline of one profiled step's kernel calls. */
export function stepRoofline(
  works: KernelWork[],
  peak: MachinePeak,
): StepRoofline {
  const kinds = kernelKinds(works, peak);
  return {
    boundMs: kinds.reduce((s, k) => s + k.boundMs, 0),
    kernelMs: kinds.reduce((s, k) => s + k.measuredMs, 0),
    calls: works.length,
    kinds,
  };
}
