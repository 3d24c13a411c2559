/**
 * The host backends' pooling kernels (cpu and wasm read tensors
 * synchronously): the wasm max pool with a gradient of its own, and a valid
 * average pool whose gradient is a forward pool.
 */
import * as tf from "../../tf.ts";
import { customOp } from "../../ops/custom_gradient.ts";
import { spreadAndPad } from "../../ops/layout.ts";

/**
 * The wasm max pool: tfjs' forward, and the input gradient from
 * {@linkcode maxPoolGradHost}. The wasm backend's `MaxPoolGrad` and
 * `MaxPoolWithArgmax` pick wrong positions for many shapes (measured in tfjs
 * 4.22, see pooling_test.ts).
 */
export function maxPoolWasm(
  x: tf.Tensor4D,
  kernel: number,
  stride: number,
  padding: number,
): tf.Tensor4D {
  const op = customOp(([input], save) => {
    const value = tf.maxPool(input as tf.Tensor4D, kernel, stride, padding);
    save([input]);
    return {
      value,
      gradFunc: (dy, [saved]) => [
        maxPoolGradHost(
          saved as tf.Tensor4D,
          dy as tf.Tensor4D,
          kernel,
          stride,
          padding,
        ),
      ],
    };
  });
  return op(x) as tf.Tensor4D;
}

/**
 * The max-pool input gradient computed on the host from the tensors' values.
 * Ties go to the first maximum in row-major window order, as in PyTorch.
 */
export function maxPoolGradHost(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  kernel: number,
  stride: number,
  padding: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  const [, outH, outW] = dy.shape;
  const input = x.dataSync() as Float32Array;
  const upstream = dy.dataSync() as Float32Array;
  const dx = new Float32Array(input.length);
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < outH; oy++) {
      const y0 = oy * stride - padding;
      const yStart = Math.max(0, y0);
      const yEnd = Math.min(h, y0 + kernel);
      for (let ox = 0; ox < outW; ox++) {
        const x0 = ox * stride - padding;
        const xStart = Math.max(0, x0);
        const xEnd = Math.min(w, x0 + kernel);
        const outBase = ((b * outH + oy) * outW + ox) * c;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let bestIndex = -1;
          for (let yy = yStart; yy < yEnd; yy++) {
            let index = ((b * h + yy) * w + xStart) * c + ch;
            for (let xx = xStart; xx < xEnd; xx++, index += c) {
              const v = input[index];
              if (v > best || bestIndex < 0) {
                best = v;
                bestIndex = index;
              }
            }
          }
          dx[bestIndex] += upstream[outBase + ch];
        }
      }
    }
  }
  return tf.tensor4d(dx, x.shape);
}

/**
 * `avgPoolValid` whose gradient is the stride-1 average pool of the
 * zero-inserted, zero-padded upstream gradient (every input receives 1/k² of
 * each window it lies in): a forward pool, several times faster than wasm's
 * AvgPoolGrad kernel (figures: docs/performance.md, "Kernel choices").
 */
export function avgPoolValidHost(
  x: tf.Tensor4D,
  kernel: number,
  stride: number,
): tf.Tensor4D {
  const [, h, w] = x.shape;
  const op = customOp(([input]) => ({
    value: tf.avgPool(input as tf.Tensor4D, kernel, stride, "valid"),
    gradFunc: (dy) =>
      tf.tidy(() => [
        tf.avgPool(
          spreadAndPad(
            dy as tf.Tensor4D,
            stride,
            kernel - 1,
            kernel - 1,
            h + kernel - 1,
            w + kernel - 1,
          ),
          kernel,
          1,
          "valid",
        ),
      ]),
  }));
  return op(x) as tf.Tensor4D;
}
