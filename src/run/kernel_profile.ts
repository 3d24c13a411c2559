/**
 * The kernels a computation runs and tfjs' peak tensor bytes during it, as
 * `tf.profile` reports them. tfjs 4.22's `tf.profile` takes the peak as
 * `Math.max(...snapshots)`, one argument per kernel, which overflows the call
 * stack beyond about 120,000 kernels: a C=16, 8-layer search step with
 * recomputed cells on the tensorflow backend stopped there with "Maximum call
 * stack size exceeded". This runs the engine's own profiling mode and takes
 * the maximum in a loop.
 */
import * as tf from "../tf.ts";

/** One kernel as tfjs' profiling mode records it. */
export interface ProfiledKernel {
  /** The kernel's name (a scope's, for a custom gradient's forward function). */
  name: string;
  /** Live tensor bytes after it ran. */
  totalBytesSnapshot: number;
  /** Its inputs' shapes. */
  inputShapes?: (number[] | null)[];
  /** Its outputs' shapes. */
  outputShapes?: number[][];
  /** Its time as the backend measured it (wall time on the CPU backends). */
  kernelTimeMs?:
    | number
    | { error: string }
    | Promise<number | { error: string }>;
}

/** What {@linkcode profileKernels} measured. */
export interface KernelProfile {
  /** Every kernel run, in order. */
  kernels: ProfiledKernel[];
  /** The most tensor bytes alive after any kernel (tfjs' count; -Infinity without kernels, as tf.profile). */
  peakBytes: number;
  /** Tensor bytes alive at the end less those at the start. */
  newBytes: number;
}

/** The parts of tfjs-core 4.22's engine that profiling uses. */
interface ProfilingEngine {
  state: {
    profiling: boolean;
    numBytes: number;
    activeProfile: { kernels: ProfiledKernel[] };
  };
}

/** Runs `f` under tfjs' profiling mode and summarises its kernels. */
export async function profileKernels(
  f: () => unknown,
): Promise<KernelProfile> {
  const engine = tf.engine() as unknown as ProfilingEngine;
  if (typeof engine.state?.activeProfile !== "object") {
    throw new Error(
      "profileKernels: this tfjs engine has no activeProfile as tfjs-core 4.22's",
    );
  }
  const startBytes = engine.state.numBytes;
  engine.state.activeProfile.kernels = [];
  engine.state.profiling = true;
  try {
    await f();
  } finally {
    engine.state.profiling = false;
  }
  const kernels = engine.state.activeProfile.kernels;
  engine.state.activeProfile.kernels = [];
  let peakBytes = -Infinity;
  for (const k of kernels) {
    peakBytes = Math.max(peakBytes, k.totalBytesSnapshot);
  }
  return { kernels, peakBytes, newBytes: engine.state.numBytes - startBytes };
}
