/**
 * Spatial helpers shared by the ops: explicit symmetric padding, stride-2
 * subsampling built from reshape and slice (so that it has a gradient on every
 * backend, unlike `stridedSlice`), its adjoint (zero insertion), and the
 * kernel taps of a window. The padding and the subsampling are ops with
 * kernels registered per backend (host copies on cpu and wasm, one dispatch
 * on webgpu).
 */
import * as tf from "../tf.ts";
import { slice4d } from "./layout.ts";
import { defineOp } from "./op_kernels.ts";

/** The op behind {@linkcode padSpatial}: a padding that is not empty. */
export const padSpatialNonEmpty = defineOp(
  "padSpatial",
  (x: tf.Tensor4D, before: number, after: number, value: number): tf.Tensor4D =>
    tf.pad(x, [[0, 0], [before, after], [before, after], [0, 0]], value),
);

/** Pads height and width of an NHWC tensor by `before` and `after` with `value`. */
export function padSpatial(
  x: tf.Tensor4D,
  before: number,
  after = before,
  value = 0,
): tf.Tensor4D {
  if (before === 0 && after === 0) return x;
  return padSpatialNonEmpty(x, before, after, value);
}

/**
 * `x[:, offset::2, offset::2, :]` for NHWC `x`, differentiable everywhere (built
 * from reshape and slice of rank 4 at most: the webgpu backend mishandles pads of
 * rank 6). The output has `ceil((H - offset) / 2)` rows.
 */
export const subsample2 = defineOp(
  "subsample2",
  (x: tf.Tensor4D, offset: number): tf.Tensor4D => subsample2Ops(x, offset),
);

function subsample2Ops(x: tf.Tensor4D, offset: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const outH = Math.ceil((h - offset) / 2);
  const outW = Math.ceil((w - offset) / 2);
  let padded = x;
  const extraH = 2 * outH + offset - h;
  const extraW = 2 * outW + offset - w;
  if (extraH > 0 || extraW > 0) {
    padded = tf.pad(x, [[0, 0], [0, extraH], [0, extraW], [0, 0]]);
  }
  if (offset > 0) {
    padded = tf.slice(padded, [0, offset, offset, 0], [
      n,
      2 * outH,
      2 * outW,
      c,
    ]);
  }
  const rowPairs = tf.reshape(padded, [n * outH, 2, 2 * outW, c]);
  const rows = tf.slice(rowPairs, [0, 0, 0, 0], [n * outH, 1, 2 * outW, c]);
  const colPairs = tf.reshape(rows, [n * outH, outW, 2, c]);
  const picked = tf.slice(colPairs, [0, 0, 0, 0], [n * outH, outW, 1, c]);
  return tf.reshape(picked, [n, outH, outW, c]);
}

/**
 * Inserts `stride - 1` zeros between neighbouring rows and columns (the adjoint of
 * subsampling), giving `stride * (H - 1) + 1` rows. Used inside gradients only.
 */
export function insertZeros(x: tf.Tensor4D, stride: number): tf.Tensor4D {
  if (stride === 1) return x;
  const [n, h, w, c] = x.shape;
  const rowGroups = tf.reshape(x, [n * h, 1, w, c]);
  const rowsSpread = tf.pad(rowGroups, [[0, 0], [0, stride - 1], [0, 0], [
    0,
    0,
  ]]);
  const colGroups = tf.reshape(rowsSpread, [n * h * stride, w, 1, c]);
  const colsSpread = tf.pad(colGroups, [[0, 0], [0, 0], [0, stride - 1], [
    0,
    0,
  ]]);
  const flat = tf.reshape(colsSpread, [
    n,
    h * stride,
    w * stride,
    c,
  ]) as tf.Tensor4D;
  return slice4d(flat, [0, 0, 0, 0], [
    n,
    stride * (h - 1) + 1,
    stride * (w - 1) + 1,
    c,
  ]);
}

/** Output size of a window op along one axis (PyTorch's formula). */
export function outputSize(
  input: number,
  kernel: number,
  stride: number,
  padding: number,
  dilation = 1,
): number {
  return Math.floor(
    (input + 2 * padding - dilation * (kernel - 1) - 1) / stride,
  ) +
    1;
}

/**
 * The tap of a window at kernel offset (i, j) of an already padded input:
 * `xPadded[:, i*d : i*d + s*(outH-1)+1 : s, j*d : ... : s, :]`. For use inside
 * gradient functions (it uses `stridedSlice`, which has no gradient itself).
 */
export function windowTap(
  xPadded: tf.Tensor4D,
  i: number,
  j: number,
  outH: number,
  outW: number,
  stride: number,
  dilation = 1,
): tf.Tensor4D {
  const [n, , , c] = xPadded.shape;
  const top = i * dilation;
  const left = j * dilation;
  if (stride === 1) {
    return slice4d(xPadded, [0, top, left, 0], [n, outH, outW, c]);
  }
  return tf.stridedSlice(
    xPadded,
    [0, top, left, 0],
    [n, top + stride * (outH - 1) + 1, left + stride * (outW - 1) + 1, c],
    [1, stride, stride, 1],
  ) as tf.Tensor4D;
}
