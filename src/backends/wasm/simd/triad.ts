/**
 * The memory bandwidth the wasm backend's SIMD kernels reach: a STREAM-like
 * triad (`y += s·x`, two reads and a write per element) over two arrays of
 * `elements` floats on the backend's heap, the best of a few runs after a
 * warm-up.
 */
import * as tf from "../../../tf.ts";
import { simdKernels } from "./simd_kernels.ts";

/** Bytes per second of the triad, or null where the SIMD kernels are off. */
export function simdTriadBytesPerSecond(
  elements: number,
  repeats = 3,
): number | null {
  const simd = simdKernels();
  if (simd === null) return null;
  const [x, y] = [tf.randomNormal([elements]), tf.randomNormal([elements])];
  try {
    let best = Infinity;
    for (let i = 0; i <= repeats; i++) {
      const started = performance.now();
      simd.kernels.axpy(simd.pointer(x), simd.pointer(y), elements, 1.5);
      const ms = performance.now() - started;
      if (i > 0) best = Math.min(best, ms);
    }
    return (3 * 4 * elements) / (best / 1000);
  } finally {
    tf.dispose([x, y]);
  }
}
