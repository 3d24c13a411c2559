/**
 * Layout ops (slice, channel concat, stride-2 subsampling) computed on the host
 * for the backends whose tensor memory JavaScript reads synchronously (`cpu` and
 * `wasm`). Their own kernels for these ops go element by element through generic
 * index arithmetic — measured as the largest cost of a search step (tfjs 4.22:
 * `Slice`, `SplitV` and `PadV2` took 40% of a cpu step) — while these copy
 * contiguous runs. On other backends (webgpu, tensorflow) the tfjs ops are used.
 * Every op here is differentiable; its gradient is the matching scatter.
 */
import * as tf from "../tf.ts";
import { customOp, gradientNeeds } from "./custom_gradient.ts";
import { type SimdKernels, simdKernels } from "./simd/simd_kernels.ts";
import { webGpuProgramsActive } from "./webgpu/webgpu_programs.ts";
import { weightedSumWebGpu } from "./webgpu/weighted_sum_programs.ts";
import { concatChannelsWebGpu, concatFits } from "./webgpu/concat_programs.ts";

/** Whether the active backend's tensors can be read synchronously and cheaply. */
export function hostLayoutEnabled(): boolean {
  const backend = tf.getBackend();
  return backend === "cpu" || backend === "wasm";
}

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

function copyRuns(
  from: Float32Array,
  to: Float32Array,
  shape: number[],
  begin: number[],
  size: number[],
  scatter: boolean,
): void {
  const [, h, w, c] = shape;
  const run = size[3];
  for (let i0 = 0; i0 < size[0]; i0++) {
    for (let i1 = 0; i1 < size[1]; i1++) {
      let big = (((begin[0] + i0) * h + begin[1] + i1) * w + begin[2]) * c +
        begin[3];
      let small = ((i0 * size[1] + i1) * size[2]) * run;
      for (let i2 = 0; i2 < size[2]; i2++, big += c, small += run) {
        if (scatter) {
          for (let k = 0; k < run; k++) to[big + k] = from[small + k];
        } else {
          for (let k = 0; k < run; k++) to[small + k] = from[big + k];
        }
      }
    }
  }
}

/** `tf.slice` of a 4-D tensor. */
export function slice4d(
  x: tf.Tensor4D,
  begin: number[],
  size: number[],
): tf.Tensor4D {
  if (!hostLayoutEnabled()) return tf.slice(x, begin, size);
  const shape = x.shape;
  const simd = simdKernels();
  if (simd !== null) {
    const op = customOp(([input]) => ({
      value: sliceOnHeap(simd, input, shape, begin, size, false),
      gradFunc: (dy) => [sliceOnHeap(simd, dy, shape, begin, size, true)],
    }));
    return op(x) as tf.Tensor4D;
  }
  const op = customOp(([input]) => {
    const out = new Float32Array(size.reduce((a, b) => a * b, 1));
    copyRuns(input.dataSync() as Float32Array, out, shape, begin, size, false);
    return {
      value: tf.tensor4d(out, size as [number, number, number, number]),
      gradFunc: (dy) => {
        const dx = new Float32Array(shape.reduce((a, b) => a * b, 1));
        copyRuns(dy.dataSync() as Float32Array, dx, shape, begin, size, true);
        return [tf.tensor4d(dx, shape)];
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

/** Concatenation of NHWC tensors along channels. */
export function concatChannels(parts: tf.Tensor4D[]): tf.Tensor4D {
  if (parts.length === 1) return parts[0];
  if (
    webGpuProgramsActive() && concatFits(parts.length) &&
    parts.every((p) => p.dtype === "float32")
  ) {
    return concatChannelsWebGpu(parts);
  }
  if (!hostLayoutEnabled()) return tf.concat(parts, 3);
  const [n, h, w] = parts[0].shape;
  const widths = parts.map((p) => p.shape[3]);
  const total = widths.reduce((a, b) => a + b, 0);
  const pixels = n * h * w;
  const simd = simdKernels();
  if (simd !== null) {
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
  const op = customOp((inputs) => {
    const out = new Float32Array(pixels * total);
    let offset = 0;
    inputs.forEach((t, i) => {
      const data = t.dataSync() as Float32Array;
      const width = widths[i];
      for (let p = 0; p < pixels; p++) {
        const o = p * total + offset;
        const s = p * width;
        for (let k = 0; k < width; k++) out[o + k] = data[s + k];
      }
      offset += width;
    });
    return {
      value: tf.tensor4d(out, [n, h, w, total]),
      gradFunc: (dy) => {
        const g = dy.dataSync() as Float32Array;
        let start = 0;
        return widths.map((width) => {
          const part = new Float32Array(pixels * width);
          for (let p = 0; p < pixels; p++) {
            const o = p * total + start;
            const s = p * width;
            for (let k = 0; k < width; k++) part[s + k] = g[o + k];
          }
          start += width;
          return tf.tensor4d(part, [n, h, w, width]);
        });
      },
    };
  });
  return op(...parts) as tf.Tensor4D;
}

/**
 * `x[:, offset::2, offset::2, :]` on the host; the gradient scatters back.
 * The output has `ceil((H - offset) / 2)` rows.
 */
export function subsample2Host(x: tf.Tensor4D, offset: number): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const outH = Math.ceil((h - offset) / 2);
  const outW = Math.ceil((w - offset) / 2);
  const move = (from: Float32Array, to: Float32Array, scatter: boolean) => {
    for (let b = 0; b < n; b++) {
      for (let y = 0; y < outH; y++) {
        for (let xx = 0; xx < outW; xx++) {
          const big = ((b * h + 2 * y + offset) * w + 2 * xx + offset) * c;
          const small = ((b * outH + y) * outW + xx) * c;
          if (scatter) {
            for (let k = 0; k < c; k++) to[big + k] = from[small + k];
          } else for (let k = 0; k < c; k++) to[small + k] = from[big + k];
        }
      }
    }
  };
  const simd = simdKernels();
  if (simd !== null) {
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
  const op = customOp(([input]) => {
    const out = new Float32Array(n * outH * outW * c);
    move(input.dataSync() as Float32Array, out, false);
    return {
      value: tf.tensor4d(out, [n, outH, outW, c]),
      gradFunc: (dy) => {
        const dx = new Float32Array(n * h * w * c);
        move(dy.dataSync() as Float32Array, dx, true);
        return [tf.tensor4d(dx, [n, h, w, c])];
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

/** Spatial padding of an NHWC tensor on the host; the gradient crops. */
export function padSpatialHost(
  x: tf.Tensor4D,
  before: number,
  after: number,
  value: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const outShape: [number, number, number, number] = [
    n,
    h + before + after,
    w + before + after,
    c,
  ];
  const begin = [0, before, before, 0];
  const simd = simdKernels();
  if (simd !== null && value === 0) {
    const inner = [n, h, w, c];
    const op = customOp(([input]) => ({
      value: sliceOnHeap(simd, input, outShape, begin, inner, true),
      gradFunc: (dy) => [sliceOnHeap(simd, dy, outShape, begin, inner, false)],
    }));
    return op(x) as tf.Tensor4D;
  }
  const op = customOp(([input]) => {
    const out = new Float32Array(outShape.reduce((a, b) => a * b, 1));
    if (value !== 0) out.fill(value);
    copyRuns(input.dataSync() as Float32Array, out, outShape, begin, [
      n,
      h,
      w,
      c,
    ], true);
    return {
      value: tf.tensor4d(out, outShape),
      gradFunc: (dy) => {
        const dx = new Float32Array(n * h * w * c);
        copyRuns(dy.dataSync() as Float32Array, dx, outShape, begin, [
          n,
          h,
          w,
          c,
        ], false);
        return [tf.tensor4d(dx, [n, h, w, c])];
      },
    };
  });
  return op(x) as tf.Tensor4D;
}

/**
 * `Σ_i weights[indices[i]] · terms[i]` (a MixedOp's weighted sum of its
 * operations) as one op; on cpu and wasm computed on the host, on webgpu as
 * WGSL programs, replacing a multiply per term, an addN and their gradients.
 */
export function weightedSum(
  terms: tf.Tensor4D[],
  weights: tf.Tensor1D,
  indices: number[],
): tf.Tensor4D {
  if (!hostLayoutEnabled()) {
    if (webGpuProgramsActive() && new Set(indices).size === indices.length) {
      return weightedSumWebGpu(terms, weights, indices);
    }
    if (gradientNeeds.mixingWeights) {
      // The terms' own weights only (`weights` may hold a whole cell's).
      const perTerm = tf.unstack(tf.gather(weights, indices));
      return tf.addN(
        terms.map((t, i) => tf.mul(t, perTerm[i])),
      ) as tf.Tensor4D;
    }
    // The weights are no input: a weight step takes no gradient for them.
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
  }
  const shape = terms[0].shape;
  const size = terms[0].size;
  // A weight step needs no gradient of the mixing weights: then they are no
  // input of the op, and no dot products are taken.
  const withWeights = gradientNeeds.mixingWeights;
  const inputs = withWeights ? [...terms, weights] : terms;
  const simd = simdKernels();
  if (simd !== null) {
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
  const op = customOp((tensors) => {
    const w = weights.dataSync() as Float32Array;
    const data = tensors.slice(0, terms.length).map((t) =>
      t.dataSync() as Float32Array
    );
    const out = new Float32Array(size);
    data.forEach((values, i) => {
      const scale = w[indices[i]];
      for (let j = 0; j < size; j++) out[j] += scale * values[j];
    });
    return {
      value: tf.tensor4d(out, shape),
      gradFunc: (dy) => {
        const up = dy.dataSync() as Float32Array;
        const dWeights = new Float32Array(w.length);
        const grads: tf.Tensor[] = data.map((values, i) => {
          const scale = w[indices[i]];
          const g = new Float32Array(size);
          for (let j = 0; j < size; j++) g[j] = scale * up[j];
          if (withWeights) {
            let dot = 0;
            for (let j = 0; j < size; j++) dot += up[j] * values[j];
            dWeights[indices[i]] += dot;
          }
          return tf.tensor4d(g, shape);
        });
        if (withWeights) grads.push(tf.tensor1d(dWeights));
        return grads;
      },
    };
  });
  return op(...inputs) as tf.Tensor4D;
}

/**
 * The zero-inserted, zero-padded upstream gradient of a strided window op, in
 * one pass: `out[b, top + stride·i, left + stride·j, c] = dy[b, i, j, c]`, zeros
 * elsewhere, of spatial size `outH` x `outW`. Used inside gradient functions only
 * (not differentiable); on the host backends it replaces a chain of reshapes,
 * pads and a slice (tfjs' generic PadV2 was the costliest of them).
 */
export function spreadAndPad(
  dy: tf.Tensor4D,
  stride: number,
  top: number,
  left: number,
  outH: number,
  outW: number,
): tf.Tensor4D {
  const [n, h, w, c] = dy.shape;
  if (top + stride * (h - 1) >= outH || left + stride * (w - 1) >= outW) {
    throw new Error(
      `spreadAndPad: ${h}x${w} spread by ${stride} from (${top}, ${left}) does not fit ${outH}x${outW}`,
    );
  }
  const simd = simdKernels();
  if (simd !== null) {
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
  const from = dy.dataSync() as Float32Array;
  const out = new Float32Array(n * outH * outW * c);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < h; i++) {
      let source = ((b * h + i) * w) * c;
      let target = ((b * outH + top + stride * i) * outW + left) * c;
      for (let j = 0; j < w; j++, source += c, target += stride * c) {
        for (let k = 0; k < c; k++) out[target + k] = from[source + k];
      }
    }
  }
  return tf.tensor4d(out, [n, outH, outW, c]);
}

/**
 * The float32 values of `t` without a copy where the backend allows it: a view
 * of the wasm heap (valid only until the next tensor is allocated, which may
 * move the heap: read it at once), the cpu backend's own array, else a copy.
 * Never write to it.
 */
export function hostView(t: tf.Tensor): Float32Array {
  if (t.dtype === "float32" && tf.getBackend() === "wasm") {
    const backend = tf.backend() as unknown as {
      typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
    };
    return backend.typedArrayFromHeap(t);
  }
  return t.dataSync() as Float32Array;
}
