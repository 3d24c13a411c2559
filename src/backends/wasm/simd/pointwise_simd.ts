/**
 * The pointwise (1x1) convolution on the wasm backend: SIMD kernels for thin
 * products, XNNPACK's product (tfjs') for the rest.
 */
import * as tf from "../../../tf.ts";
import { customOp, gradientNeeds } from "../../../ops/custom_gradient.ts";
import { pointwiseAsProduct } from "../../../ops/conv2d.ts";
import type { SimdKernels } from "./simd_kernels.ts";
import { copyBlocks } from "./layout_simd.ts";

/** `pointwiseConv` on wasm: `[n, h, w, c]` rows times the `[c, c']` filter. */
export function pointwiseConvSimd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  filter: tf.Tensor,
): tf.Tensor4D {
  return pointwiseAsProduct(
    x,
    filter,
    (rows, weights) => pointwiseSimd(simd, rows, weights),
  );
}

/**
 * `a · b` for `a` `[rows, inner]` on the wasm backend: the SIMD kernel for an
 * inner dimension of at most 4 (where XNNPACK's per-call cost dominates), else
 * tfjs' (XNNPACK) product.
 */
function productSimd(
  simd: SimdKernels,
  a: tf.Tensor2D,
  b: tf.Tensor2D,
): tf.Tensor2D {
  const [rows, inner] = a.shape;
  const cols = b.shape[1];
  if (inner > 4) return tf.matMul(a, b);
  const out = simd.allocate([rows, cols]);
  const kernel = cols % 4 === 0 ? simd.kernels.matmul_v : simd.kernels.matmul_s;
  kernel(simd.pointer(a), simd.pointer(b), out.pointer, rows, inner, cols);
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
  const out = simd.allocate([c, r]);
  if (r % 4 === 0 && c % 4 === 0) {
    simd.kernels.transpose_v(simd.pointer(w), out.pointer, r, c);
  } else {
    copyBlocks(
      simd,
      { pointer: simd.pointer(w), offset: 0, strides: [c, 1, 0] },
      { pointer: out.pointer, offset: 0, strides: [1, r, 0] },
      [r, c, 1],
      1,
    );
  }
  return out.tensor as tf.Tensor2D;
}

/**
 * Rows per L1-resident chunk of the `xᵀ · dy` kernel: the fastest of 64 to
 * 1,024 (figures: docs/performance.md, "Kernel choices").
 */
const TRANSPOSED_PRODUCT_CHUNK = 128;

/**
 * The pointwise product `x · w` and its gradients on the wasm backend. tfjs'
 * wasm BatchMatMul is fast only untransposed (figures: docs/performance.md,
 * "Kernel choices"). Here
 * `dy · wᵀ` transposes the small `w` first (`transposeSimd`), and `xᵀ · dy` is a SIMD kernel for
 * small filters (at most 256 entries), else XNNPACK's product of `xᵀ`.
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
        if (inner * cols > 256) {
          // Larger filters: a transpose then XNNPACK's product beats the
          // kernel's strided passes (docs/performance.md, "Kernel choices").
          // The step's largest transposes: 18 of them took 500 ms of a
          // `small` step through tfjs (results/step/roofline/).
          const xT = transposeSimd(simd, xSaved);
          const dw = tf.matMul(xT, dy as tf.Tensor2D);
          xT.dispose();
          return [dx, dw];
        }
        const dw = simd.allocate([inner, cols]);
        const kernel = cols % 4 === 0
          ? simd.kernels.matmul_at_v
          : simd.kernels.matmul_at_s;
        kernel(
          simd.pointer(xSaved),
          simd.pointer(dy),
          dw.pointer,
          rows,
          inner,
          cols,
          TRANSPOSED_PRODUCT_CHUNK,
        );
        return [dx, dw.tensor];
      },
    };
  });
  return op(x, w) as tf.Tensor2D;
}
