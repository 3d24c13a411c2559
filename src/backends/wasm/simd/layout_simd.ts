/**
 * The wasm backend's layout kernels: copies of contiguous runs on its heap by
 * the SIMD `copy_blocks` kernel, tensors read and written in place.
 */
import * as tf from "../../../tf.ts";
import { customOp, gradientNeeds } from "../../../ops/custom_gradient.ts";
import { PASS } from "../../../ops/op_kernels.ts";
import type { SimdKernels } from "./simd_kernels.ts";

/** Strides (in floats) of an NHWC shape's first three axes. */
function strides3(shape: number[]): [number, number, number] {
  const [, h, w, c] = shape;
  return [h * w * c, w * c, c];
}

/**
 * A heap-to-heap `copy_blocks` (see `layout_kernel_text.ts`): `counts` are the
 * three outer loop counts, `length` the floats per run, offsets and strides in
 * floats.
 */
export function copyBlocks(
  simd: SimdKernels,
  from: { pointer: number; offset: number; strides: number[] },
  to: { pointer: number; offset: number; strides: number[] },
  counts: [number, number, number],
  length: number,
): void {
  simd.kernels.copy_blocks(
    from.pointer + 4 * from.offset,
    to.pointer + 4 * to.offset,
    counts[0],
    counts[1],
    counts[2],
    length,
    from.strides[0],
    from.strides[1],
    from.strides[2],
    to.strides[0],
    to.strides[1],
    to.strides[2],
  );
}

/**
 * Slice (`scatter` false: `small = big[begin : begin + size]`) or its adjoint
 * (`scatter` true: `big` zero except `big[begin : begin + size] = small`) of
 * NHWC tensors with the heap kernels; returns the new tensor.
 */
function sliceOnHeap(
  simd: SimdKernels,
  source: tf.Tensor,
  bigShape: number[],
  begin: number[],
  size: number[],
  scatter: boolean,
): tf.Tensor4D {
  const bigStrides = strides3(bigShape);
  const offset = begin[0] * bigStrides[0] + begin[1] * bigStrides[1] +
    begin[2] * bigStrides[2] + begin[3];
  const out = simd.allocate(scatter ? bigShape : size);
  const big = {
    pointer: scatter ? out.pointer : simd.pointer(source),
    offset,
    strides: bigStrides,
  };
  const small = {
    pointer: scatter ? simd.pointer(source) : out.pointer,
    offset: 0,
    strides: strides3(size),
  };
  if (scatter) {
    simd.kernels.zero(out.pointer, bigShape.reduce((a, b) => a * b, 1));
    copyBlocks(simd, small, big, [size[0], size[1], size[2]], size[3]);
  } else {
    copyBlocks(simd, big, small, [size[0], size[1], size[2]], size[3]);
  }
  return out.tensor as tf.Tensor4D;
}

/** `slice4d` on the heap; the gradient scatters back. */
export function slice4dSimd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  begin: number[],
  size: number[],
): tf.Tensor4D {
  const shape = x.shape;
  const op = customOp(([input]) => ({
    value: sliceOnHeap(simd, input, shape, begin, size, false),
    gradFunc: (dy) => [sliceOnHeap(simd, dy, shape, begin, size, true)],
  }));
  return op(x) as tf.Tensor4D;
}

/** `concatChannels` (two parts or more) on the heap. */
export function concatChannelsSimd(
  simd: SimdKernels,
  parts: tf.Tensor4D[],
): tf.Tensor4D {
  const [n, h, w] = parts[0].shape;
  const widths = parts.map((p) => p.shape[3]);
  const total = widths.reduce((a, b) => a + b, 0);
  const pixels = n * h * w;
  const offsets = widths.map((_, i) =>
    widths.slice(0, i).reduce((a, b) => a + b, 0)
  );
  const op = customOp((inputs) => {
    const out = simd.allocate([n, h, w, total]);
    inputs.forEach((part, i) =>
      copyBlocks(
        simd,
        {
          pointer: simd.pointer(part),
          offset: 0,
          strides: [0, 0, widths[i]],
        },
        { pointer: out.pointer, offset: offsets[i], strides: [0, 0, total] },
        [1, 1, pixels],
        widths[i],
      )
    );
    return {
      value: out.tensor,
      gradFunc: (dy) =>
        widths.map((width, i) => {
          const part = simd.allocate([n, h, w, width]);
          copyBlocks(
            simd,
            {
              pointer: simd.pointer(dy),
              offset: offsets[i],
              strides: [0, 0, total],
            },
            { pointer: part.pointer, offset: 0, strides: [0, 0, width] },
            [1, 1, pixels],
            width,
          );
          return part.tensor;
        }),
    };
  });
  return op(...parts) as tf.Tensor4D;
}

/** `subsample2` on the heap; the gradient scatters back. */
export function subsample2Simd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  offset: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const outH = Math.ceil((h - offset) / 2);
  const outW = Math.ceil((w - offset) / 2);
  // The big tensor's pixel (b, 2i + offset, 2j + offset) and the small one's (b, i, j).
  const move = (source: tf.Tensor, scatter: boolean) => {
    const out = simd.allocate(scatter ? [n, h, w, c] : [n, outH, outW, c]);
    const big = {
      pointer: scatter ? out.pointer : simd.pointer(source),
      offset: (offset * w + offset) * c,
      strides: [h * w * c, 2 * w * c, 2 * c],
    };
    const small = {
      pointer: scatter ? simd.pointer(source) : out.pointer,
      offset: 0,
      strides: strides3([n, outH, outW, c]),
    };
    if (scatter) simd.kernels.zero(out.pointer, n * h * w * c);
    copyBlocks(
      simd,
      scatter ? small : big,
      scatter ? big : small,
      [n, outH, outW],
      c,
    );
    return out.tensor;
  };
  const op = customOp(([input]) => ({
    value: move(input, false),
    gradFunc: (dy) => [move(dy, true)],
  }));
  return op(x) as tf.Tensor4D;
}

/** `padSpatial` with zeros on the heap (other values: {@linkcode PASS}); the gradient crops. */
export function padSpatialSimd(
  simd: SimdKernels,
  x: tf.Tensor4D,
  before: number,
  after: number,
  value: number,
): tf.Tensor4D | typeof PASS {
  if (value !== 0) return PASS;
  const [n, h, w, c] = x.shape;
  const outShape = [n, h + before + after, w + before + after, c];
  const begin = [0, before, before, 0];
  const inner = [n, h, w, c];
  const op = customOp(([input]) => ({
    value: sliceOnHeap(simd, input, outShape, begin, inner, true),
    gradFunc: (dy) => [sliceOnHeap(simd, dy, outShape, begin, inner, false)],
  }));
  return op(x) as tf.Tensor4D;
}

/** `weightedSum` on the heap: a scale, then an axpy per term. */
export function weightedSumSimd(
  simd: SimdKernels,
  terms: tf.Tensor4D[],
  weights: tf.Tensor1D,
  indices: number[],
): tf.Tensor4D {
  const shape = terms[0].shape;
  const size = terms[0].size;
  const withWeights = gradientNeeds.mixingWeights;
  const inputs = withWeights ? [...terms, weights] : terms;
  const op = customOp((tensors, save) => {
    const termTensors = tensors.slice(0, terms.length);
    // The terms are read again only for the mixing weights' gradient.
    if (withWeights) save(termTensors);
    const w = weights.dataSync() as Float32Array;
    const out = simd.allocate(shape);
    termTensors.forEach((term, i) => {
      const kernel = i === 0 ? simd.kernels.scale : simd.kernels.axpy;
      kernel(simd.pointer(term), out.pointer, size, w[indices[i]]);
    });
    return {
      value: out.tensor,
      gradFunc: (dy, saved) => {
        const upstream = simd.pointer(dy);
        const dWeights = new Float32Array(w.length);
        const grads: tf.Tensor[] = indices.map((index, i) => {
          const g = simd.allocate(shape);
          simd.kernels.scale(upstream, g.pointer, size, w[index]);
          if (withWeights) {
            dWeights[index] += simd.kernels.dot(
              upstream,
              simd.pointer(saved[i]),
              size,
            );
          }
          return g.tensor;
        });
        if (withWeights) grads.push(tf.tensor1d(dWeights));
        return grads;
      },
    };
  });
  return op(...inputs) as tf.Tensor4D;
}

/** `spreadAndPad` on the heap (its arguments already checked). */
export function spreadAndPadSimd(
  simd: SimdKernels,
  dy: tf.Tensor4D,
  stride: number,
  top: number,
  left: number,
  outH: number,
  outW: number,
): tf.Tensor4D {
  const [n, h, w, c] = dy.shape;
  const out = simd.allocate([n, outH, outW, c]);
  simd.kernels.zero(out.pointer, n * outH * outW * c);
  copyBlocks(
    simd,
    { pointer: simd.pointer(dy), offset: 0, strides: strides3(dy.shape) },
    {
      pointer: out.pointer,
      offset: (top * outW + left) * c,
      strides: [outH * outW * c, stride * outW * c, stride * c],
    },
    [n, h, w],
    c,
  );
  return out.tensor as tf.Tensor4D;
}
