/**
 * This machine's two roofline ceilings, measured on the active backend in the
 * running process: the floating-point rate, the better of one large matrix
 * product and the backend's own multiply-adds in registers (where it has
 * kernels of its own), and the memory bandwidth of a STREAM-like triad
 * (`a + s·b` over arrays far larger than the caches). Each is the best of a
 * few repetitions after a warm-up, as STREAM reports its best.
 */
import * as tf from "../tf.ts";
import type { MachinePeak } from "./roofline.ts";
import { activeBackend } from "../backends/backend_table.ts";

/** What was measured, and how. */
export interface MeasuredPeak extends MachinePeak {
  /** The matrix product's side. */
  matmulSide: number;
  /** Elements of each triad array. */
  triadElements: number;
  /** The matrix product's FLOPs per second. */
  matmulFlopsPerSecond: number;
  /** The backend's own multiply-adds' FLOPs per second (null: none). */
  registerFlopsPerSecond: number | null;
}

/** Best wall milliseconds of `f` over `repeats` runs after one warm-up. */
async function bestMs(
  f: () => tf.Tensor,
  repeats: number,
  clock: () => number,
): Promise<number> {
  let best = Infinity;
  for (let i = 0; i <= repeats; i++) {
    const started = clock();
    const out = f();
    // A tiny read waits for the computation (a GPU backend's included).
    const first = out.slice(0, 1);
    await first.data();
    const ms = clock() - started;
    tf.dispose([out, first]);
    if (i > 0) best = Math.min(best, ms);
  }
  return best;
}

/**
 * Measures the peak on the active backend. The triad runs in the backend's
 * own kernels where it has them (wasm's SIMD `y += s·x`), else as tfjs'
 * multiply and add (two kernels), whose bytes are the five array passes they
 * make (`t = s·b` reads one and writes one; `a + t` reads two and writes one).
 */
export async function measureMachinePeak(
  options: {
    matmulSide?: number;
    triadElements?: number;
    repeats?: number;
    /** Milliseconds now (default `performance.now`; tests give their own). */
    clock?: () => number;
  } = {},
): Promise<MeasuredPeak> {
  const clock = options.clock ?? (() => performance.now());
  const side = options.matmulSide ?? 1024;
  const n = options.triadElements ?? 2 ** 24;
  const repeats = options.repeats ?? 5;
  const [a, b] = [tf.randomNormal([side, side]), tf.randomNormal([side, side])];
  const matmulMs = await bestMs(() => tf.matMul(a, b), repeats, clock);
  tf.dispose([a, b]);
  const own = activeBackend().triadBytesPerSecond?.(n) ?? null;
  let bytesPerSecond = own ?? NaN;
  if (own === null) {
    const [x, y] = [tf.randomNormal([n]), tf.randomNormal([n])];
    const s = tf.scalar(1.5);
    const triadMs = await bestMs(
      () => tf.tidy(() => tf.add(x, tf.mul(y, s))),
      repeats,
      clock,
    );
    tf.dispose([x, y, s]);
    bytesPerSecond = (5 * 4 * n) / (triadMs / 1000);
  }
  const matmulFlopsPerSecond = (2 * side ** 3) / (matmulMs / 1000);
  const registerFlopsPerSecond =
    (await activeBackend().peakFlopsPerSecond?.()) ?? null;
  return {
    flopsPerSecond: Math.max(
      matmulFlopsPerSecond,
      registerFlopsPerSecond ?? 0,
    ),
    matmulFlopsPerSecond,
    registerFlopsPerSecond,
    bytesPerSecond,
    matmulSide: side,
    triadElements: n,
  };
}
