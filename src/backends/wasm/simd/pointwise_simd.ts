/**
 * The pointwise (1x1) convolution on the wasm backend: the register-blocked
 * SIMD products (`product_kernel_text.ts`) wherever the output's columns come
 * in fours, the one-row scalar kernels for thin products otherwise, and
 * XNNPACK's product (tfjs') for the rest. All sum each element's terms in the
 * same order, so the choice changes no bits.
 */
import * as tf from "../../../tf.ts";
import { customOp, gradientNeeds } from "../../../ops/custom_gradient.ts";
import { pointwiseAsProduct } from "../../../ops/conv2d.ts";
import type { SimdKernels } from "./simd_kernels.ts";
import { copyBlocks } from "./layout_simd.ts";

/** The widest input of a product the SIMD kernel takes (XNNPACK beyond). */
const THIN = 4;

/** `pointwiseConv` on wasm: `[n, h, w, c]` rows times the `[c, c']` filter. */
export function pointwiseConvSimd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  filter: tf.Tensor,
): tf.Tensor4D {
  const passes = pointwisePasses(simd, x.shape, filter.shape);
  if (passes !== null) return pointwiseInPlaceSimd(passes, x, filter);
  return pointwiseAsProduct(
    x,
    filter,
    (rows, weights) => pointwiseSimd(simd, rows, weights),
  );
}

/**
 * The three products of a pointwise convolution run straight on the 4-D
 * tensors, each into a new tensor: the products read `[n, h, w, c]` as its
 * `[n·h·w, c]` rows in place, so the forward pass and its gradients run no
 * reshapes (six tfjs kernels and three saved clones a convolution otherwise:
 * the `tiny` step ran 4,971 reshapes, about 10 µs each).
 */
export interface PointwisePasses {
  /** `x · filter`, `[n, h, w, c']`. */
  forward(x: tf.Tensor, filter: tf.Tensor): tf.Tensor;
  /** The input's gradient `dy · filterᵀ`, `[n, h, w, c]`. */
  inputGrad(dy: tf.Tensor, filter: tf.Tensor): tf.Tensor;
  /** The filter's gradient `xᵀ · dy`, of the filter's shape. */
  filterGrad(x: tf.Tensor, dy: tf.Tensor): tf.Tensor;
}

/**
 * {@linkcode PointwisePasses} for an input `[n, h, w, c]` and a filter
 * `[1, 1, c, c']` or `[c, c']`, where all three products run on the SIMD
 * kernels: at most 4 input and 4 output channels (the MixedOp's at C/K of 2
 * or 4), or both counts in fours; else null. The kernels are the ones the
 * reshaped path picks for these shapes: the same bits.
 */
export function pointwisePasses(
  simd: SimdKernels,
  [n, h, w, c]: number[],
  filterShape: number[],
): PointwisePasses | null {
  const cols = filterShape[filterShape.length - 1];
  const inPlace = (c <= THIN && cols <= THIN) ||
    (c % 4 === 0 && cols % 4 === 0);
  if (!inPlace || filterShape[filterShape.length - 2] !== c) return null;
  const rows = n * h * w;
  const product = (
    a: tf.Tensor,
    b: number,
    inner: number,
    width: number,
    shape: number[],
  ) => {
    const out = simd.allocate(shape);
    productKernel(simd, width)(
      simd.pointer(a),
      b,
      out.pointer,
      rows,
      inner,
      width,
    );
    return out.tensor;
  };
  return {
    forward: (x, filter) =>
      product(x, simd.pointer(filter), c, cols, [n, h, w, cols]),
    inputGrad: (dy, filter) => {
      // A [1, 1, c, c'] filter's floats are its [c, c'] matrix's.
      const transposed = transposeAt(simd, simd.pointer(filter), c, cols);
      const dx = product(dy, simd.pointer(transposed), cols, c, [n, h, w, c]);
      transposed.dispose();
      return dx;
    },
    filterGrad: (x, dy) => filterGradient(simd, x, dy, filterShape, rows, c),
  };
}

/** A pointwise convolution by its {@linkcode PointwisePasses}. */
function pointwiseInPlaceSimd(
  passes: PointwisePasses,
  x: tf.Tensor4D,
  filter: tf.Tensor,
): tf.Tensor4D {
  if (!gradientNeeds.weights && filter instanceof tf.Variable) {
    // No filter gradient wanted (an architecture step): a variable filter,
    // which outlives the backward pass, stays off the tape, so it is neither
    // saved (a clone) nor given a zero gradient.
    const inputOnly = customOp(([input]) => ({
      value: passes.forward(input, filter),
      gradFunc: (dy) => [passes.inputGrad(dy, filter)],
    }));
    return inputOnly(x) as tf.Tensor4D;
  }
  const op = customOp(([input, weights], save) => {
    save(gradientNeeds.weights ? [weights, input] : [weights]);
    return {
      value: passes.forward(input, weights),
      gradFunc: (dy, saved) => {
        const [wSaved, xSaved] = saved as [tf.Tensor, tf.Tensor | undefined];
        const dx = passes.inputGrad(dy, wSaved);
        if (!xSaved) return [dx, tf.zerosLike(wSaved)];
        return [dx, passes.filterGrad(xSaved, dy)];
      },
    };
  });
  return op(x, filter) as tf.Tensor4D;
}

/**
 * The SIMD product for `cols` output columns: the register-blocked kernel
 * where they come in fours (it splits across the kernel workers), else the
 * one-row scalar one.
 */
function productKernel(
  simd: SimdKernels,
  cols: number,
): typeof simd.kernels.gemm_v {
  return cols % 4 === 0 ? simd.kernels.gemm_v : simd.kernels.matmul_s;
}

/**
 * `a · b` for `a` `[rows, inner]` on the wasm backend: the register-blocked
 * SIMD kernel where the columns come in fours (it splits across the kernel
 * workers), the scalar one for an inner dimension of at most 4 (where
 * XNNPACK's per-call cost dominates), else tfjs' (XNNPACK) product.
 */
function productSimd(
  simd: SimdKernels,
  a: tf.Tensor2D,
  b: tf.Tensor2D,
): tf.Tensor2D {
  const [rows, inner] = a.shape;
  const cols = b.shape[1];
  if (cols % 4 !== 0 && inner > THIN) return tf.matMul(a, b);
  const out = simd.allocate([rows, cols]);
  productKernel(simd, cols)(
    simd.pointer(a),
    simd.pointer(b),
    out.pointer,
    rows,
    inner,
    cols,
  );
  return out.tensor as tf.Tensor2D;
}

/**
 * `wᵀ` of a `[r, c]` matrix without a tfjs kernel: the SIMD block transpose
 * where both sides are multiples of 4, else one `copy_blocks` call of single
 * floats. Best of 5 here: [65536, 64] 8.4 ms against tfjs' `Transpose` 56
 * ms, [65536, 16] 0.8 against 2.4, [16384, 64] 3.4 against 15, 16×16 0.002
 * against 0.007.
 */
export function transposeSimd(simd: SimdKernels, w: tf.Tensor2D): tf.Tensor2D {
  const [r, c] = w.shape;
  return transposeAt(simd, simd.pointer(w), r, c);
}

/** The transpose of the `[r, c]` matrix at heap offset `from`, as a new tensor. */
function transposeAt(
  simd: SimdKernels,
  from: number,
  r: number,
  c: number,
): tf.Tensor2D {
  const out = simd.allocate([c, r]);
  if (r % 4 === 0 && c % 4 === 0) {
    simd.kernels.transpose_v(from, out.pointer, r, c);
  } else {
    copyBlocks(
      simd,
      { pointer: from, offset: 0, strides: [c, 1, 0] },
      { pointer: out.pointer, offset: 0, strides: [1, r, 0] },
      [r, c, 1],
      1,
    );
  }
  return out.tensor as tf.Tensor2D;
}

/**
 * `xᵀ · dy` by the SIMD kernels, for `x` read as `[rows, inner]` and `dy` as
 * `[rows, cols]` (whatever their shapes), into a new tensor of `shape`: the
 * register-blocked one where the columns come in fours, else the scalar one.
 */
function filterGradient(
  simd: SimdKernels,
  x: tf.Tensor,
  dy: tf.Tensor,
  shape: number[],
  rows: number,
  inner: number,
): tf.Tensor {
  const cols = dy.size / rows;
  const dw = simd.allocate(shape);
  const [a, b] = [simd.pointer(x), simd.pointer(dy)];
  if (cols % 4 === 0) {
    simd.kernels.gemm_at_v(
      a,
      b,
      dw.pointer,
      rows,
      inner,
      cols,
      TRANSPOSED_PRODUCT_CHUNK,
      inner,
    );
  } else {
    simd.kernels.matmul_at_s(
      a,
      b,
      dw.pointer,
      rows,
      inner,
      cols,
      TRANSPOSED_PRODUCT_CHUNK,
    );
  }
  return dw.tensor;
}

/**
 * Rows per L1-resident chunk of the `xᵀ · dy` kernel: the fastest of 64 to
 * 1,024 (figures: docs/performance.md, "Kernel choices").
 */
const TRANSPOSED_PRODUCT_CHUNK = 128;

/**
 * The pointwise product `x · w` and its gradients on the wasm backend. tfjs'
 * wasm BatchMatMul is fast only untransposed (figures: docs/performance.md,
 * "Kernel choices"). Here `dy · wᵀ` transposes the small `w` first
 * (`transposeSimd`), and `xᵀ · dy` is a SIMD kernel where the columns come in
 * fours or the filter is small (at most 256 entries), else XNNPACK's product
 * of `xᵀ`.
 */
function pointwiseSimd(
  simd: SimdKernels,
  x: tf.Tensor2D,
  w: tf.Tensor2D,
): tf.Tensor2D {
  const op = customOp(([input, weights], save) => {
    // The input is read again only for the filter's gradient.
    save(gradientNeeds.weights ? [weights, input] : [weights]);
    return {
      value: productSimd(simd, input as tf.Tensor2D, weights as tf.Tensor2D),
      gradFunc: (dy, saved) => {
        const [wSaved, xSaved] = saved as [
          tf.Tensor2D,
          tf.Tensor2D | undefined,
        ];
        const transposed = transposeSimd(simd, wSaved);
        const dx = productSimd(simd, dy as tf.Tensor2D, transposed);
        transposed.dispose();
        if (!xSaved) return [dx, tf.zerosLike(wSaved)];
        const [rows, inner] = xSaved.shape;
        const cols = wSaved.shape[1];
        if (cols % 4 !== 0 && inner * cols > 256) {
          // Larger filters with odd columns: a transpose then XNNPACK's
          // product beats the scalar kernel's strided passes
          // (docs/performance.md, "Kernel choices").
          // The step's largest transposes: 18 of them took 500 ms of a
          // `small` step through tfjs (results/step/roofline/).
          const xT = transposeSimd(simd, xSaved);
          const dw = tf.matMul(xT, dy as tf.Tensor2D);
          xT.dispose();
          return [dx, dw];
        }
        return [
          dx,
          filterGradient(simd, xSaved, dy, [inner, cols], rows, inner),
        ];
      },
    };
  });
  return op(x, w) as tf.Tensor2D;
}
