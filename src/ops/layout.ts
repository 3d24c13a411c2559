/**
 * Layout ops of NHWC tensors: a 4-D slice, the channel concatenation, a
 * MixedOp's weighted sum of its operations' outputs, and the zero-inserted,
 * zero-padded upstream gradient of a strided window op. Portable: tfjs ops.
 * The cpu and wasm backends register copies of contiguous runs on the host
 * (tfjs' own kernels for these go element by element through generic index
 * arithmetic: tfjs 4.22's `Slice`, `SplitV` and `PadV2` took 40 % of a cpu
 * search step), wasm SIMD copies on its heap, webgpu one dispatch each for
 * the concatenation and the weighted sum. Every op is differentiable; a
 * layout op's gradient is the matching scatter.
 */
import * as tf from "../tf.ts";
import { customOp, gradientNeeds } from "./custom_gradient.ts";
import { defineOp } from "./op_kernels.ts";
import { insertZeros } from "./spatial.ts";

/** `tf.slice` of a 4-D tensor. */
export const slice4d = defineOp(
  "slice4d",
  (x: tf.Tensor4D, begin: number[], size: number[]): tf.Tensor4D =>
    tf.slice(x, begin, size),
);

/** The op behind {@linkcode concatChannels}: two parts or more. */
export const concatChannelParts = defineOp(
  "concatChannels",
  (parts: tf.Tensor4D[]): tf.Tensor4D => tf.concat(parts, 3),
);

/** Concatenation of NHWC tensors along channels. */
export function concatChannels(parts: tf.Tensor4D[]): tf.Tensor4D {
  return parts.length === 1 ? parts[0] : concatChannelParts(parts);
}

/**
 * `Σ_i weights[indices[i]] · terms[i]` (a MixedOp's weighted sum of its
 * operations) as one op, replacing a multiply per term, an addN and their
 * gradients. A weight step needs no gradient of the mixing weights
 * (`gradientNeeds.mixingWeights` false): then the weights are no input of the
 * op, and no dot products are taken.
 */
export const weightedSum = defineOp(
  "weightedSum",
  (
    terms: tf.Tensor4D[],
    weights: tf.Tensor1D,
    indices: number[],
  ): tf.Tensor4D => {
    if (gradientNeeds.mixingWeights) {
      // The terms' own weights only (`weights` may hold a whole cell's).
      const perTerm = tf.unstack(tf.gather(weights, indices));
      return tf.addN(
        terms.map((t, i) => tf.mul(t, perTerm[i])),
      ) as tf.Tensor4D;
    }
    const termsOnly = customOp((termTensors, save) => {
      const perTerm = tf.unstack(tf.gather(weights, indices));
      save(perTerm);
      return {
        value: tf.addN(
          termTensors.map((t, i) => tf.mul(t, perTerm[i])),
        ),
        gradFunc: (dy, saved) => indices.map((_, i) => tf.mul(dy, saved[i])),
      };
    });
    return termsOnly(...terms) as tf.Tensor4D;
  },
);

/** The op behind {@linkcode spreadAndPad}, its arguments checked. */
export const spreadAndPadChecked = defineOp(
  "spreadAndPad",
  (
    dy: tf.Tensor4D,
    stride: number,
    top: number,
    left: number,
    outH: number,
    outW: number,
  ): tf.Tensor4D =>
    tf.tidy(() => {
      const spread = insertZeros(dy, stride);
      return tf.pad(spread, [
        [0, 0],
        [top, outH - top - spread.shape[1]],
        [left, outW - left - spread.shape[2]],
        [0, 0],
      ]);
    }),
);

/**
 * The zero-inserted, zero-padded upstream gradient of a strided window op, in
 * one pass: `out[b, top + stride·i, left + stride·j, c] = dy[b, i, j, c]`, zeros
 * elsewhere, of spatial size `outH` x `outW`. Used inside gradient functions
 * only (not differentiable).
 */
export function spreadAndPad(
  dy: tf.Tensor4D,
  stride: number,
  top: number,
  left: number,
  outH: number,
  outW: number,
): tf.Tensor4D {
  const [, h, w] = dy.shape;
  if (top + stride * (h - 1) >= outH || left + stride * (w - 1) >= outW) {
    throw new Error(
      `spreadAndPad: ${h}x${w} spread by ${stride} from (${top}, ${left}) does not fit ${outH}x${outW}`,
    );
  }
  return spreadAndPadChecked(dy, stride, top, left, outH, outW);
}
