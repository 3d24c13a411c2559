/**
 * The pointwise (1x1) convolution on the webgpu backend. Its matrices are
 * thin: `[pixels, C]` with C of 4 to 64 channels in the search. tfjs' tiled
 * product computes 32 columns per tile, most of them padding here (measured on
 * lavapipe, C=16, batch 32, 32x32: 58 % of a gradient's GPU time); the product
 * `x·w` and the input gradient `dy·wᵀ` are one invocation per output element
 * instead, for up to 64 inner and 64 output channels. The filter gradient
 * `xᵀ·dy` has only `Cin·Cout` outputs summed over every pixel of the batch
 * (262,144 at the paper's batch of 256), and tfjs gives outputs of at most 128
 * entries one workgroup each; here workgroup `(output, chunk)` sums a chunk of
 * rows, then one dispatch adds the chunks (see `reductionChunk`).
 */
import * as tf from "../../tf.ts";
import { customOp, gradientNeeds } from "../custom_gradient.ts";
import {
  chunking,
  elementProgram,
  type Program,
  REDUCE_WORKGROUP,
  runProgram,
  sumChunks,
  workgroupSumSnippet,
} from "./webgpu_programs.ts";

/**
 * Partial sums of `xᵀ·dy` for `x` `[rows, inner]` and `dy` `[rows, cols]`:
 * workgroup `(o, chunk)` writes `result[chunk·inner·cols + o]` for output
 * `o = i·cols + j`.
 */
function transposedProductProgram(outputs: number, chunks: number): Program {
  return {
    shaderKey: "pcdarts_transposed_product",
    outputShape: [chunks * outputs],
    variableNames: ["x", "dy"],
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: [outputs, chunks, 1],
    dispatchLayout: { x: [0] },
    uniforms: "chunk : i32,",
    getUserCode: () => `
      ${workgroupSumSnippet()}
      fn main(index : i32) {
        let o = i32(workgroupId.x);
        let piece = i32(workgroupId.y);
        let inner = uniforms.xShape.y;
        let cols = uniforms.dyShape.y;
        let i = o / cols;
        let j = o - i * cols;
        let first = piece * uniforms.chunk;
        let end = min(first + uniforms.chunk, uniforms.xShape.x);
        var sum = 0.0;
        for (var r = first + i32(localIndex); r < end; r = r + ${REDUCE_WORKGROUP}) {
          sum = sum + x[r * inner + i] * dy[r * cols + j];
        }
        let total = workgroupSum(sum);
        if (localIndex == 0u) {
          result[piece * inner * cols + o] = total;
        }
      }`,
  };
}

/** `xᵀ·dy` for `x` `[rows, inner]`, `dy` `[rows, cols]` (see the header). */
export function transposedProductWebGpu(
  x: tf.Tensor2D,
  dy: tf.Tensor2D,
): tf.Tensor2D {
  const [rows, inner] = x.shape;
  const cols = dy.shape[1];
  const outputs = inner * cols;
  if (outputs > 65535) {
    // Many outputs are parallel enough for tfjs' own product.
    return tf.matMul(x, dy, true, false);
  }
  const { chunks, chunk } = chunking(rows);
  const partials = runProgram(
    transposedProductProgram(outputs, chunks),
    [x, dy],
    [{ type: "int32", data: [chunk] }],
  );
  const summed = chunks === 1
    ? partials
    : sumChunks([partials], outputs, chunks);
  if (summed !== partials) partials.dispose();
  const product = tf.reshape(summed, [inner, cols]) as tf.Tensor2D;
  summed.dispose();
  return product;
}

/** Largest inner and output widths of the one-invocation-per-output product. */
export const THIN = 64;

/** `a·b` (`a` `[rows, inner]`, `b` `[inner, cols]`, or `[cols, inner]` when transposed). */
function thinProductProgram(
  rows: number,
  cols: number,
  transposeB: boolean,
): Program {
  return elementProgram({
    shaderKey: `pcdarts_thin_product_${transposeB}`,
    outputShape: [rows, cols],
    variableNames: ["a", "b"],
    body: `
          let cols = uniforms.outShape.y;
          let inner = uniforms.aShape.y;
          let r = index / cols;
          let j = index - r * cols;
          var sum = 0.0;
          for (var i = 0; i < inner; i = i + 1) {
            sum = sum + a[r * inner + i] * ${
      transposeB ? "b[j * inner + i]" : "b[i * cols + j]"
    };
          }
          result[index] = sum;`,
  });
}

/** `a·b` or `a·bᵀ`: one invocation per output when thin, else tfjs' product. */
function product(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  transposeB: boolean,
): tf.Tensor2D {
  const [rows, inner] = a.shape;
  const cols = transposeB ? b.shape[0] : b.shape[1];
  if (inner > THIN || cols > THIN) return tf.matMul(a, b, false, transposeB);
  return runProgram(thinProductProgram(rows, cols, transposeB), [
    a,
    b,
  ]) as tf.Tensor2D;
}

/** `rows · weights` with the two-level filter gradient (call on webgpu only). */
export function pointwiseProductWebGpu(
  rows: tf.Tensor2D,
  weights: tf.Tensor2D,
): tf.Tensor2D {
  if (!gradientNeeds.weights) {
    // Architecture-only gradients: the weights are no input of the op, so
    // no zero gradient (a dispatch on webgpu) is made for them.
    const op = customOp(([x], save) => {
      save([weights]);
      return {
        value: product(x as tf.Tensor2D, weights, false),
        gradFunc: (dy, [wSaved]) => [
          product(dy as tf.Tensor2D, wSaved as tf.Tensor2D, true),
        ],
      };
    });
    return op(rows) as tf.Tensor2D;
  }
  const op = customOp(([x, w], save) => {
    save([x, w]);
    return {
      value: product(x as tf.Tensor2D, w as tf.Tensor2D, false),
      gradFunc: (dy, [xSaved, wSaved]) => [
        product(dy as tf.Tensor2D, wSaved as tf.Tensor2D, true),
        transposedProductWebGpu(xSaved as tf.Tensor2D, dy as tf.Tensor2D),
      ],
    };
  });
  return op(rows, weights) as tf.Tensor2D;
}
