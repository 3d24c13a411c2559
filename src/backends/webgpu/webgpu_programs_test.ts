import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { lacksBackends, onEachBackend } from "../../testing/backends.ts";
import { gradientCheck, randomInputs } from "../../testing/gradient_check.ts";
import {
  assertClose,
  valueAndGrads as compareValueAndGrads,
} from "../../testing/path_comparison.ts";
import { depthwiseConv2d } from "../../ops/depthwise_conv2d.ts";
import { batchNormTraining } from "../../ops/batch_norm.ts";
import { weightedSum } from "../../ops/layout.ts";
import { relu } from "../../ops/activation.ts";
import { conv2d, pointwiseConv } from "../../ops/conv2d.ts";
import { avgPool } from "../../ops/pooling.ts";
import { elementDispatch, webGpuProgramsActive } from "./webgpu_programs.ts";
import { windowFilterGradientWebGpu } from "./window_filter_gradient.ts";
import {
  setReductionChunk,
  setWebGpuProgramsEnabled,
} from "../../testing/option_setters.ts";

/** Value and input gradients with our programs on or off. */
const valueAndGrads = (
  f: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  programsOn: boolean,
) => compareValueAndGrads(f, inputs, setWebGpuProgramsEnabled, programsOn);

const DEPTHWISE_CASES = [
  { channels: 4, kernel: 3, stride: 1, padding: 1, dilation: 1 },
  { channels: 8, kernel: 5, stride: 1, padding: 2, dilation: 1 },
  { channels: 4, kernel: 3, stride: 2, padding: 1, dilation: 1 },
  { channels: 12, kernel: 3, stride: 1, padding: 2, dilation: 2 },
  { channels: 4, kernel: 5, stride: 2, padding: 4, dilation: 2 },
  { channels: 3, kernel: 3, stride: 2, padding: 2, dilation: 2 },
  { channels: 5, kernel: 3, stride: 1, padding: 0, dilation: 1 },
];

Deno.test("elementDispatch covers every element within WebGPU's 65535 workgroups per dimension", () => {
  for (
    const elements of [1, 255, 256, 257, 65535 * 256, 65535 * 256 + 1, 4e8]
  ) {
    const [x, y, z] = elementDispatch(elements, 256);
    assert.ok(x <= 65535 && y <= 65535 && z === 1, `${elements}: ${x}x${y}`);
    assert.ok(x * y * 256 >= elements, `${elements}: ${x}x${y} too few`);
    assert.ok((x * y - x) * 256 < elements, `${elements}: a spare row`);
  }
});

Deno.test({
  name:
    "the webgpu depthwise programs equal the portable convolution and its gradients",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      assert.ok(webGpuProgramsActive(), "the programs run on webgpu");
      for (const c of DEPTHWISE_CASES) {
        const [x, w] = randomInputs(
          [[3, 9, 10, c.channels], [c.kernel, c.kernel, c.channels, 1]],
          c.channels + c.kernel,
        );
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c);
        const programs = await valueAndGrads(f, [x, w], true);
        const portable = await valueAndGrads(f, [x, w], false);
        tf.dispose([x, w]);
        assertClose(programs, portable, JSON.stringify(c));
      }
      // The filter gradient in chunks of rows (two-level): 2 rows of 10 and of
      // 5 columns a chunk, the last chunk short.
      for (
        const [chunk, c] of [[20, DEPTHWISE_CASES[1]], [
          20,
          DEPTHWISE_CASES[4],
        ]] as const
      ) {
        const before = setReductionChunk(chunk);
        const [x, w] = randomInputs(
          [[3, 9, 10, c.channels], [c.kernel, c.kernel, c.channels, 1]],
          c.channels + c.kernel + 1,
        );
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c);
        const programs = await valueAndGrads(f, [x, w], true);
        const portable = await valueAndGrads(f, [x, w], false);
        setReductionChunk(before);
        tf.dispose([x, w]);
        assertClose(programs, portable, `chunk ${chunk} ${JSON.stringify(c)}`);
      }
      // More channels than a filter-gradient workgroup takes (64: two blocks,
      // the second partly empty), and a count that does not divide its lanes.
      for (const channels of [70, 3]) {
        const geometry = { stride: 1, padding: 2, dilation: 2 };
        const [x, w] = randomInputs(
          [[2, 7, 6, channels], [3, 3, channels, 1]],
          channels,
        );
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, geometry);
        const programs = await valueAndGrads(f, [x, w], true);
        const portable = await valueAndGrads(f, [x, w], false);
        tf.dispose([x, w]);
        assertClose(programs, portable, `${channels} channels`);
      }
      // Rows wider than a workgroup (the filter gradient's lanes wrap).
      const wide = { stride: 2, padding: 1, dilation: 1 };
      const [x, w] = randomInputs([[2, 3, 600, 2], [3, 3, 2, 1]], 5);
      const f = (a: tf.Tensor, b: tf.Tensor) =>
        depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, wide);
      const programs = await valueAndGrads(f, [x, w], true);
      const portable = await valueAndGrads(f, [x, w], false);
      tf.dispose([x, w]);
      assertClose(programs, portable, "600 columns");
    }, ["webgpu"]);
  },
});

Deno.test({
  name: "the webgpu filter gradient of a regular convolution equals tfjs' own",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      // The search stem's shape (3 to 6 channels, 3x3, padding 1) and a strided
      // one; one level, then chunks of 2 output rows (the last one short).
      for (
        const [c, chunk] of [
          [{ stride: 1, padding: 1, cout: 6 }, Infinity],
          [{ stride: 1, padding: 1, cout: 6 }, 20],
          [{ stride: 2, padding: 1, cout: 5 }, 10],
          [{ stride: 2, padding: 0, cout: 4 }, Infinity],
        ] as const
      ) {
        const before = setReductionChunk(chunk);
        const [x, w] = randomInputs(
          [[3, 9, 10, 3], [3, 3, 3, c.cout]],
          c.cout + c.stride,
        );
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          conv2d(a as tf.Tensor4D, b as tf.Tensor4D, {
            stride: c.stride,
            padding: c.padding,
          });
        const programs = await valueAndGrads(f, [x, w], true);
        const portable = await valueAndGrads(f, [x, w], false);
        setReductionChunk(before);
        tf.dispose([x, w]);
        assertClose(programs, portable, `chunk ${chunk} ${JSON.stringify(c)}`);
      }
    }, ["webgpu"]);
  },
});

Deno.test({
  name:
    "the webgpu filter gradient of the search stem at batch 64 equals a plain sum",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    // tfjs' own program (Conv2DDerFilterProgram) returns wrong numbers here on
    // lavapipe, silently (right at batch 48); ours must not.
    await onEachBackend(t, async () => {
      const [batch, size, cin, cout] = [64, 32, 3, 48];
      const [x, dy] = randomInputs(
        [[batch, size, size, cin], [batch, size, size, cout]],
        64,
      );
      const dw = windowFilterGradientWebGpu(x, dy, [3, 3, cin, cout], {
        stride: 1,
        padding: 1,
        dilation: 1,
      });
      const [xs, dys, ours] = await Promise.all([
        x.data(),
        dy.data(),
        dw.data(),
      ]);
      tf.dispose([x, dy, dw]);
      const expected = new Float64Array(9 * cin * cout);
      for (let n = 0; n < batch; n++) {
        for (let i = 0; i < size; i++) {
          for (let j = 0; j < size; j++) {
            const dyAt = ((n * size + i) * size + j) * cout;
            for (let u = 0; u < 3; u++) {
              const row = i - 1 + u;
              if (row < 0 || row >= size) continue;
              for (let v = 0; v < 3; v++) {
                const column = j - 1 + v;
                if (column < 0 || column >= size) continue;
                const xAt = ((n * size + row) * size + column) * cin;
                for (let ci = 0; ci < cin; ci++) {
                  const tap = ((u * 3 + v) * cin + ci) * cout;
                  for (let co = 0; co < cout; co++) {
                    expected[tap + co] += xs[xAt + ci] * dys[dyAt + co];
                  }
                }
              }
            }
          }
        }
      }
      const scale = Math.max(...expected.map(Math.abs));
      for (let k = 0; k < expected.length; k++) {
        assert.ok(
          Math.abs(ours[k] - expected[k]) <= 1e-5 * scale,
          `tap ${k}: ${ours[k]} against ${expected[k]}`,
        );
      }
    }, ["webgpu"]);
  },
});

Deno.test({
  name: "the webgpu depthwise programs match finite differences",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      for (const c of DEPTHWISE_CASES.slice(2, 6)) {
        const [x, w] = randomInputs(
          [[2, 7, 7, c.channels], [c.kernel, c.kernel, c.channels, 1]],
          c.kernel + 2 * c.stride,
        );
        const { worst } = await gradientCheck(
          (a, b) => depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c),
          [x, w],
        );
        tf.dispose([x, w]);
        for (const e of worst) {
          assert.ok(e < 2e-2, `${JSON.stringify(c)}: ${worst}`);
        }
      }
    }, ["webgpu"]);
  },
});

Deno.test({
  name:
    "the webgpu batch-norm programs equal the portable batch norm, its statistics and gradients",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      // Far from zero mean (the variance is then a small difference), more
      // pixels than one workgroup's invocations, channel counts of every kind;
      // one-level reductions, then two-level ones with chunks of 64 and of 5
      // pixels (a short last chunk).
      for (
        const [n, h, w, channels, chunk] of [
          [4, 9, 8, 12, Infinity],
          [2, 3, 3, 5, Infinity],
          [8, 16, 16, 4, Infinity],
          [8, 16, 16, 4, 64],
          [4, 9, 8, 12, 5],
          [2, 3, 3, 5, 5],
        ]
      ) {
        const chunkBefore = setReductionChunk(chunk);
        for (const affine of [true, false]) {
          const [noise, gamma, beta] = randomInputs(
            [[n, h, w, channels], [channels], [channels]],
            channels + n,
          );
          const x = tf.tidy(() => tf.add(tf.mul(noise, 3), 40));
          const f = (...inputs: tf.Tensor[]) => {
            const r = batchNormTraining(
              inputs[0] as tf.Tensor4D,
              inputs[1] as tf.Tensor1D | undefined,
              inputs[2] as tf.Tensor1D | undefined,
            );
            r.statistics.dispose();
            return r.output;
          };
          const inputs = affine ? [x, gamma, beta] : [x];
          const label = `${[
            n,
            h,
            w,
            channels,
          ]} chunk ${chunk} affine ${affine}`;
          const programs = await valueAndGrads(f, inputs, true);
          const portable = await valueAndGrads(f, inputs, false);
          assertClose(programs, portable, label, 2e-5);
          // The statistics themselves.
          const statistics = async (on: boolean) => {
            const before = setWebGpuProgramsEnabled(on);
            const r = batchNormTraining(x as tf.Tensor4D);
            setWebGpuProgramsEnabled(before);
            const values = await r.statistics.data();
            tf.dispose([r.output, r.statistics]);
            return [values as Float32Array];
          };
          assertClose(
            await statistics(true),
            await statistics(false),
            `${label} statistics`,
            2e-5,
          );
          tf.dispose([noise, gamma, beta, x]);
        }
        setReductionChunk(chunkBefore);
      }
    }, ["webgpu"]);
  },
});

Deno.test({
  name:
    "the webgpu weighted-sum programs compute the sum and its gradients, in chunks of six terms",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      // 1, 6 (one chunk), 7 (a MixedOp: two chunks) and 13 (three) terms, the
      // weights in any order, some weights unused. Checked against host
      // arithmetic: tfjs' own webgpu version returns zero gradients for 13
      // terms (7 are right).
      for (
        const indices of [
          [2],
          [0, 1, 2, 3, 4, 5],
          [1, 2, 3, 4, 5, 6, 7],
          [12, 0, 3, 5, 7, 1, 9, 2, 4, 6, 8, 10, 13],
        ]
      ) {
        const weightCount = Math.max(...indices) + 2;
        const inputs = randomInputs(
          [...indices.map(() => [2, 5, 3, 4]), [weightCount]],
          indices.length,
        );
        const f = (...xs: tf.Tensor[]) =>
          weightedSum(
            xs.slice(0, -1) as tf.Tensor4D[],
            xs[xs.length - 1] as tf.Tensor1D,
            indices,
          );
        // One chunk of elements, then chunks of 16 (two-level weight sums).
        const [value, ...grads] = await valueAndGrads(f, inputs, true);
        const before = setReductionChunk(16);
        const chunked = await valueAndGrads(f, inputs, true);
        setReductionChunk(before);
        const probeTensor = tf.randomNormal([2, 5, 3, 4], 0, 1, "float32", 7);
        const probe = await probeTensor.data();
        const terms = await Promise.all(
          inputs.slice(0, -1).map((x) => x.data()),
        );
        const w = await inputs[inputs.length - 1].data();
        tf.dispose([...inputs, probeTensor]);
        const size = value.length;
        const expectValue = new Float32Array(size);
        const expectWeights = new Float32Array(weightCount);
        terms.forEach((term, i) => {
          for (let e = 0; e < size; e++) {
            expectValue[e] += w[indices[i]] * term[e];
            expectWeights[indices[i]] += probe[e] * term[e];
          }
        });
        const expectTerms = indices.map((index) =>
          Float32Array.from(probe, (p) => w[index] * p)
        );
        assertClose(
          [value, ...grads],
          [expectValue, ...expectTerms, expectWeights],
          `indices ${indices}`,
        );
        assertClose(
          chunked,
          [expectValue, ...expectTerms, expectWeights],
          `indices ${indices}, chunks of 16`,
        );
      }
    }, ["webgpu"]);
  },
});

Deno.test({
  name:
    "the webgpu ReLU gradient passes dy where x > 0 only (0 at exact zeros, as tfjs and PyTorch)",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      const x = tf.tensor4d([-2, -0, 0, 1e-30, 3, -1e-30, 5, -7], [1, 2, 2, 2]);
      const programs = await valueAndGrads((a) => relu(a), [x], true);
      const portable = await valueAndGrads((a) => relu(a), [x], false);
      assert.deepEqual(
        Array.from(programs[0], (v) => v + 0), // relu(-0) is -0
        [0, 0, 0, 1e-30, 3, 0, 5, 0].map(Math.fround),
      );
      // The gradient is the probe where x > 0 (indices 3, 4, 6), else 0.
      programs[1].forEach((g, i) =>
        assert.equal(g !== 0, [3, 4, 6].includes(i), `element ${i}: ${g}`)
      );
      assertClose(programs, portable, "relu");
      x.dispose();
    }, ["webgpu"]);
  },
});

Deno.test({
  name:
    "the webgpu pointwise products (thin, tiled, and the tiled two-level xᵀ·dy) equal tfjs' product and its gradients",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      for (
        const [inner, cols, chunk] of [
          [4, 4, Infinity],
          [4, 6, 16],
          [8, 3, 7],
          [3, 5, 1000],
          // Wider than the thin product takes: the tiled product, its tiles
          // and inner steps partly outside the matrices; and the filter
          // gradient's inner and output blocks (64 x 64) more than one.
          [70, 3, 16],
          [3, 70, 16],
          [130, 65, 40],
          [17, 200, Infinity],
        ]
      ) {
        const [x, w] = randomInputs(
          [[2, 5, 7, inner], [1, 1, inner, cols]],
          inner + cols,
        );
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          pointwiseConv(a as tf.Tensor4D, b);
        const before = setReductionChunk(chunk);
        const programs = await valueAndGrads(f, [x, w], true);
        setReductionChunk(before);
        const portable = await valueAndGrads(f, [x, w], false);
        tf.dispose([x, w]);
        assertClose(programs, portable, `${inner}x${cols}, chunks of ${chunk}`);
      }
    }, ["webgpu"]);
  },
});

Deno.test({
  name:
    "the webgpu average-pool programs equal the portable pool (padding out of the count) and its gradient",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      for (
        const [h, w, kernel, stride, padding] of [
          [7, 8, 3, 1, 1],
          [7, 8, 3, 2, 1],
          [8, 8, 3, 2, 1],
          [6, 5, 2, 2, 0],
          [9, 7, 5, 2, 2],
        ]
      ) {
        const [x] = randomInputs([[2, h, w, 3]], h + w + stride);
        const f = (a: tf.Tensor) =>
          avgPool(a as tf.Tensor4D, kernel, stride, padding);
        const programs = await valueAndGrads(f, [x], true);
        const portable = await valueAndGrads(f, [x], false);
        x.dispose();
        assertClose(programs, portable, `${[h, w, kernel, stride, padding]}`);
      }
    }, ["webgpu"]);
  },
});
