/**
 * A regular convolution's filter gradient on the wasm backend: per kernel tap,
 * the tap's window of the padded input (a new, contiguous tensor) times the
 * output's gradient, `tapᵀ · dy`, by the SIMD transposed product, each written
 * straight into its tap's slot of the filter. tfjs' wasm `BatchMatMul` with a
 * transposed first operand took 32 ms of a `cpu` training step for the stem's
 * nine taps alone (20x its roofline bound). The SIMD kernel sums in tfjs'
 * order (rows in blocks of 48, each block from zero, then added), so the bits
 * are the composed path's.
 */
import * as tf from "../../../tf.ts";
import { PASS } from "../../../ops/op_kernels.ts";
import { padSpatial, windowTap } from "../../../ops/spatial.ts";
import type { SimdKernels } from "./simd_kernels.ts";

/** The rows tfjs' wasm transposed product sums as one block before adding it. */
const TFJS_TRANSPOSED_BLOCK = 48;

/** `conv2dFilterGradient` on wasm, where the output channels come in fours. */
export function conv2dFilterGradientSimd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  stride: number,
  padding: number,
): tf.Tensor4D | typeof PASS {
  const [kh, kw, inChannels, outChannels] = filterShape;
  if (outChannels % 4 !== 0) return PASS;
  const [n, outH, outW] = dy.shape;
  const rows = n * outH * outW;
  const dw = simd.allocate(filterShape);
  const tapFloats = inChannels * outChannels;
  const xPadded = padSpatial(x, padding);
  try {
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const tap = windowTap(xPadded, i, j, outH, outW, stride);
        try {
          simd.kernels.gemm_at_blocked_v(
            simd.pointer(tap),
            simd.pointer(dy),
            dw.pointer + 4 * (i * kw + j) * tapFloats,
            rows,
            inChannels,
            outChannels,
            TFJS_TRANSPOSED_BLOCK,
            inChannels,
          );
        } finally {
          if (tap !== xPadded) tap.dispose();
        }
      }
    }
  } finally {
    if (xPadded !== x) xPadded.dispose();
  }
  return dw.tensor as tf.Tensor4D;
}
