/**
 * The cpu and wasm backends' layout kernels in JavaScript: their tensors are
 * read synchronously, so a layout op copies contiguous runs on the host (the
 * wasm backend's SIMD kernels, registered before these, copy on its heap).
 */
import * as tf from "../../tf.ts";
import { customOp, gradientNeeds } from "../../ops/custom_gradient.ts";

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

/** `slice4d`: the runs copied out; the gradient scatters them back. */
export function slice4dHost(
  x: tf.Tensor4D,
  begin: number[],
  size: number[],
): tf.Tensor4D {
  const shape = x.shape;
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

/** `concatChannels` (two parts or more): each part's pixels copied in. */
export function concatChannelsHost(parts: tf.Tensor4D[]): tf.Tensor4D {
  const [n, h, w] = parts[0].shape;
  const widths = parts.map((p) => p.shape[3]);
  const total = widths.reduce((a, b) => a + b, 0);
  const pixels = n * h * w;
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

/** `weightedSum` on the host: each term scaled and added in turn. */
export function weightedSumHost(
  terms: tf.Tensor4D[],
  weights: tf.Tensor1D,
  indices: number[],
): tf.Tensor4D {
  const shape = terms[0].shape;
  const size = terms[0].size;
  const withWeights = gradientNeeds.mixingWeights;
  const inputs = withWeights ? [...terms, weights] : terms;
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

/** `spreadAndPad` on the host (its arguments already checked). */
export function spreadAndPadHost(
  dy: tf.Tensor4D,
  stride: number,
  top: number,
  left: number,
  outH: number,
  outW: number,
): tf.Tensor4D {
  const [n, h, w, c] = dy.shape;
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
