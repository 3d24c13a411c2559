/**
 * The pointwise (1x1) convolution on the webgpu backend. Its matrices are
 * thin: `[pixels, C]` with C of 4 to 64 channels in the search cells, up to
 * 256 in the cells' input convolutions. Three programs:
 *
 * - the product `x·w` and the input gradient `dy·wᵀ` for at most 64 inner and
 *   64 output channels: one invocation per output element (tfjs' tiled
 *   product computes 32 columns per tile, most of them padding here);
 * - wider ones: a tiled product, 64 x 64 outputs a workgroup, 4 x 4 an
 *   invocation, both operands staged through workgroup memory 16 inner
 *   entries at a time (tfjs' `MatMulPackedProgram` was far slower at these
 *   shapes on an H200: docs/gpu.md);
 * - the filter gradient `xᵀ·dy`: `Cin·Cout` outputs, each a sum over every
 *   pixel of the batch (262,144 at the paper's batch of 256). A workgroup
 *   takes a chunk of rows and up to 64 x 64 outputs: it copies the rows' `x`
 *   and `dy` into workgroup memory a tile at a time (contiguous reads), and
 *   each invocation adds up to 16 outputs from there; a second dispatch adds
 *   the chunks. One workgroup per output would read a column of `x` and of
 *   `dy` with a row's stride, a memory sector per element.
 */
import * as tf from "../../tf.ts";
import { customOp, gradientNeeds } from "../../ops/custom_gradient.ts";
import {
  chunking,
  elementProgram,
  type Program,
  REDUCE_WORKGROUP,
  reductionChunk,
  runProgram,
  sumChunks,
} from "./webgpu_programs.ts";

/** Inner and output indices of `xᵀ·dy` a workgroup takes (at most 64 x 64). */
const TRANSPOSED_BLOCK = 64;

/** Floats of `x` and `dy` rows a workgroup holds at a time (12 KiB). */
const TRANSPOSED_TILE_FLOATS = 3072;

/**
 * Rows per chunk of `xᵀ·dy`: about 256 workgroups for a large product (a
 * GPU's streaming multiprocessors all busy), at least 256 rows, at most
 * `reductionChunk()` (`Infinity`: one chunk).
 */
export function transposedProductChunking(
  rows: number,
): { chunks: number; chunk: number } {
  const most = reductionChunk();
  return chunking(
    rows,
    most === Infinity
      ? Infinity
      : Math.min(most, Math.max(256, Math.ceil(rows / 256))),
  );
}

/**
 * Partial sums of `xᵀ·dy` for `x` `[rows, inner]` and `dy` `[rows, cols]`:
 * workgroup `(chunk, inner block, output block)` writes
 * `result[(chunk·inner + i)·cols + j]` for its block's `(i, j)`.
 */
function transposedProductProgram(
  inner: number,
  cols: number,
  chunks: number,
): Program {
  const blockInner = Math.min(inner, TRANSPOSED_BLOCK);
  const blockCols = Math.min(cols, TRANSPOSED_BLOCK);
  const outputs = blockInner * blockCols;
  const perLane = Math.ceil(outputs / REDUCE_WORKGROUP);
  const tile = Math.max(
    1,
    Math.min(64, Math.floor(TRANSPOSED_TILE_FLOATS / (blockInner + blockCols))),
  );
  return {
    shaderKey: `pcdarts_transposed_product_${blockInner}x${blockCols}`,
    outputShape: [chunks * inner * cols],
    variableNames: ["x", "dy"],
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: [
      chunks,
      Math.ceil(inner / blockInner),
      Math.ceil(cols / blockCols),
    ],
    dispatchLayout: { x: [0] },
    uniforms: "rowsPerChunk : i32,",
    getUserCode: () => `
      const BLOCK_INNER = ${blockInner};
      const BLOCK_COLS = ${blockCols};
      const OUTPUTS = ${outputs};
      const PER_LANE = ${perLane};
      const TILE = ${tile};
      var<workgroup> xs : array<f32, ${tile * blockInner}>;
      var<workgroup> ds : array<f32, ${tile * blockCols}>;
      fn main(index : i32) {
        let chunk = i32(workgroupId.x);
        let i0 = i32(workgroupId.y) * BLOCK_INNER;
        let j0 = i32(workgroupId.z) * BLOCK_COLS;
        let lane = i32(localIndex);
        let inner = uniforms.xShape.y;
        let cols = uniforms.dyShape.y;
        let first = chunk * uniforms.rowsPerChunk;
        let end = min(first + uniforms.rowsPerChunk, uniforms.xShape.x);
        var sums : array<f32, PER_LANE>;
        for (var t0 = first; t0 < end; t0 = t0 + TILE) {
          let count = min(TILE, end - t0);
          for (var e = lane; e < TILE * BLOCK_INNER; e = e + ${REDUCE_WORKGROUP}) {
            let r = e / BLOCK_INNER;
            let i = i0 + e % BLOCK_INNER;
            var value = 0.0;
            if (r < count && i < inner) { value = x[(t0 + r) * inner + i]; }
            xs[e] = value;
          }
          for (var e = lane; e < TILE * BLOCK_COLS; e = e + ${REDUCE_WORKGROUP}) {
            let r = e / BLOCK_COLS;
            let j = j0 + e % BLOCK_COLS;
            var value = 0.0;
            if (r < count && j < cols) { value = dy[(t0 + r) * cols + j]; }
            ds[e] = value;
          }
          workgroupBarrier();
          for (var k = 0; k < PER_LANE; k = k + 1) {
            let o = lane + k * ${REDUCE_WORKGROUP};
            if (o < OUTPUTS) {
              let bi = o / BLOCK_COLS;
              let bj = o % BLOCK_COLS;
              var sum = sums[k];
              for (var r = 0; r < count; r = r + 1) {
                sum = sum + xs[r * BLOCK_INNER + bi] * ds[r * BLOCK_COLS + bj];
              }
              sums[k] = sum;
            }
          }
          workgroupBarrier();
        }
        for (var k = 0; k < PER_LANE; k = k + 1) {
          let o = lane + k * ${REDUCE_WORKGROUP};
          let i = i0 + o / BLOCK_COLS;
          let j = j0 + o % BLOCK_COLS;
          if (o < OUTPUTS && i < inner && j < cols) {
            result[(chunk * inner + i) * cols + j] = sums[k];
          }
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
  const { chunks, chunk } = transposedProductChunking(rows);
  const partials = runProgram(
    transposedProductProgram(inner, cols, chunks),
    [x, dy],
    [{ type: "int32", data: [chunk] }],
  );
  const summed = chunks === 1
    ? partials
    : sumChunks([partials], inner * cols, chunks);
  if (summed !== partials) partials.dispose();
  const product = tf.reshape(summed, [inner, cols]) as tf.Tensor2D;
  summed.dispose();
  return product;
}

/** Output rows and columns of a tiled product's workgroup. */
const PRODUCT_TILE = 64;

/** Inner entries staged per step of the tiled product. */
const PRODUCT_DEPTH = 16;

/**
 * `a·b` (or `a·bᵀ`) tiled: workgroup `(column tile, row tile)` computes 64 x
 * 64 outputs, invocation `(ty, tx)` of 16 x 16 the outputs
 * `(ty + 16·p, tx + 16·q)`, p and q below 4, from 64 x 16 entries of `a` and
 * 16 x 64 of `b` staged in workgroup memory at a time.
 */
function tiledProductProgram(
  rows: number,
  cols: number,
  transposeB: boolean,
): Program {
  const loadB = transposeB
    ? `let c = e / ${PRODUCT_DEPTH};
            let k = e % ${PRODUCT_DEPTH};
            var value = 0.0;
            if (col0 + c < cols && k0 + k < inner) { value = b[(col0 + c) * inner + k0 + k]; }
            bTile[k * ${PRODUCT_TILE} + c] = value;`
    : `let k = e / ${PRODUCT_TILE};
            let c = e % ${PRODUCT_TILE};
            var value = 0.0;
            if (col0 + c < cols && k0 + k < inner) { value = b[(k0 + k) * cols + col0 + c]; }
            bTile[k * ${PRODUCT_TILE} + c] = value;`;
  return {
    shaderKey: `pcdarts_tiled_product_${transposeB}`,
    outputShape: [rows, cols],
    variableNames: ["a", "b"],
    workgroupSize: [REDUCE_WORKGROUP, 1, 1],
    dispatch: [
      Math.ceil(cols / PRODUCT_TILE),
      Math.ceil(rows / PRODUCT_TILE),
      1,
    ],
    dispatchLayout: { x: [0] },
    getUserCode: () => `
      var<workgroup> aTile : array<f32, ${PRODUCT_TILE * PRODUCT_DEPTH}>;
      var<workgroup> bTile : array<f32, ${PRODUCT_DEPTH * PRODUCT_TILE}>;
      fn main(index : i32) {
        let lane = i32(localIndex);
        let tx = lane % 16;
        let ty = lane / 16;
        let col0 = i32(workgroupId.x) * ${PRODUCT_TILE};
        let row0 = i32(workgroupId.y) * ${PRODUCT_TILE};
        let rows = uniforms.aShape.x;
        let inner = uniforms.aShape.y;
        let cols = uniforms.outShape.y;
        var sums : array<f32, 16>;
        for (var k0 = 0; k0 < inner; k0 = k0 + ${PRODUCT_DEPTH}) {
          for (var e = lane; e < ${
      PRODUCT_TILE * PRODUCT_DEPTH
    }; e = e + ${REDUCE_WORKGROUP}) {
            let r = e / ${PRODUCT_DEPTH};
            let k = e % ${PRODUCT_DEPTH};
            var value = 0.0;
            if (row0 + r < rows && k0 + k < inner) { value = a[(row0 + r) * inner + k0 + k]; }
            aTile[r * ${PRODUCT_DEPTH} + k] = value;
          }
          for (var e = lane; e < ${
      PRODUCT_TILE * PRODUCT_DEPTH
    }; e = e + ${REDUCE_WORKGROUP}) {
            ${loadB}
          }
          workgroupBarrier();
          for (var k = 0; k < ${PRODUCT_DEPTH}; k = k + 1) {
            var av : array<f32, 4>;
            var bv : array<f32, 4>;
            for (var p = 0; p < 4; p = p + 1) {
              av[p] = aTile[(ty + 16 * p) * ${PRODUCT_DEPTH} + k];
              bv[p] = bTile[k * ${PRODUCT_TILE} + tx + 16 * p];
            }
            for (var p = 0; p < 4; p = p + 1) {
              for (var q = 0; q < 4; q = q + 1) {
                sums[p * 4 + q] = sums[p * 4 + q] + av[p] * bv[q];
              }
            }
          }
          workgroupBarrier();
        }
        for (var p = 0; p < 4; p = p + 1) {
          for (var q = 0; q < 4; q = q + 1) {
            let r = row0 + ty + 16 * p;
            let c = col0 + tx + 16 * q;
            if (r < rows && c < cols) { result[r * cols + c] = sums[p * 4 + q]; }
          }
        }
      }`,
  };
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

/** `a·b` or `a·bᵀ`: one invocation per output when thin, else tiled. */
function product(
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  transposeB: boolean,
): tf.Tensor2D {
  const [rows, inner] = a.shape;
  const cols = transposeB ? b.shape[0] : b.shape[1];
  if (inner > THIN || cols > THIN) {
    return runProgram(tiledProductProgram(rows, cols, transposeB), [
      a,
      b,
    ]) as tf.Tensor2D;
  }
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
