import assert from "node:assert/strict";
import * as tf from "../../../tf.ts";
import { lacksBackends, onEachBackend } from "../../../testing/backends.ts";
import {
  gradientCheck,
  randomInputs,
} from "../../../testing/gradient_check.ts";
import {
  assertClose,
  valueAndGrads as compareValueAndGrads,
} from "../../../testing/path_comparison.ts";
import { depthwiseConv2d } from "../../../ops/depthwise_conv2d.ts";
import { pointwiseConv } from "../../../ops/conv2d.ts";
import { relu } from "../../../ops/activation.ts";
import { batchNormTraining } from "../../../ops/batch_norm.ts";
import { avgPool, maxPool } from "../../../ops/pooling.ts";
import {
  concatChannels,
  slice4d,
  spreadAndPad,
  weightedSum,
} from "../../../ops/layout.ts";
import { padSpatial, subsample2 } from "../../../ops/spatial.ts";
import { simdKernels } from "./simd_kernels.ts";
import { setSimdKernelsEnabled } from "../../../testing/option_setters.ts";

/** Value and input gradients with the kernels on or off. */
const valueAndGrads = (
  f: (...inputs: tf.Tensor[]) => tf.Tensor,
  inputs: tf.Tensor[],
  kernelsOn: boolean,
) => compareValueAndGrads(f, inputs, setSimdKernelsEnabled, kernelsOn);

const DEPTHWISE_CASES = [
  { channels: 4, kernel: 3, stride: 1, padding: 1, dilation: 1 },
  { channels: 8, kernel: 5, stride: 1, padding: 2, dilation: 1 },
  { channels: 4, kernel: 3, stride: 2, padding: 1, dilation: 1 },
  { channels: 12, kernel: 3, stride: 1, padding: 2, dilation: 2 },
  { channels: 4, kernel: 5, stride: 2, padding: 4, dilation: 2 },
  { channels: 3, kernel: 3, stride: 2, padding: 2, dilation: 2 },
  { channels: 2, kernel: 5, stride: 1, padding: 4, dilation: 2 },
  { channels: 2, kernel: 3, stride: 2, padding: 1, dilation: 1 },
  { channels: 6, kernel: 3, stride: 1, padding: 2, dilation: 2 },
];

Deno.test({
  name:
    "the wasm SIMD depthwise kernels equal the portable convolution and its gradients",
  ignore: await lacksBackends(["wasm"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      assert.ok(simdKernels() !== null, "the kernels are prepared on wasm");
      for (const c of DEPTHWISE_CASES) {
        const [x, w] = randomInputs(
          [[3, 9, 10, c.channels], [c.kernel, c.kernel, c.channels, 1]],
          c.channels + c.kernel,
        );
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, c);
        const simd = await valueAndGrads(f, [x, w], true);
        const portable = await valueAndGrads(f, [x, w], false);
        tf.dispose([x, w]);
        assertClose(simd, portable, JSON.stringify(c));
      }
    }, ["wasm"]);
  },
});

Deno.test({
  name:
    "the two-channel depthwise flavours (half vectors, pixel pairs) give the scalar flavour's bits",
  ignore: await lacksBackends(["wasm"]),
  fn: async (t) => {
    await onEachBackend(t, () => {
      const simd = simdKernels()!;
      const k = simd.kernels as unknown as Record<
        string,
        (...args: number[]) => void
      >;
      // n, h, w, c, kernel, stride, dilation, padding; odd widths leave a
      // pixel after the pairs.
      const cases = [
        [3, 9, 7, 2, 3, 1, 1, 1],
        [2, 8, 10, 2, 5, 1, 2, 4],
        [2, 9, 9, 2, 5, 2, 1, 2],
        [2, 5, 6, 6, 3, 2, 2, 2],
        [1, 1, 1, 2, 3, 1, 1, 1],
      ];
      for (const [n, h, w, c, kernel, stride, dilation, padding] of cases) {
        const span = dilation * (kernel - 1) + 1;
        const oh = Math.floor((h + 2 * padding - span) / stride) + 1;
        const ow = Math.floor((w + 2 * padding - span) / stride) + 1;
        const x = tf.randomNormal([n, h, w, c], 0, 1, "float32", n + c);
        const dy = tf.randomNormal([n, oh, ow, c], 0, 1, "float32", h + w);
        const filter = tf.randomNormal(
          [kernel, kernel, c, 1],
          0,
          1,
          "float32",
          3,
        );
        const inputs = {
          forward: [x, filter, [n, oh, ow, c]],
          inputGrad: [dy, filter, [n, h, w, c]],
          filterGrad: [x, dy, [kernel, kernel, c, 1]],
        } as const;
        for (const mode of ["forward", "inputGrad", "filterGrad"] as const) {
          const [a, b, shape] = inputs[mode];
          const flavours = ["s", "d"];
          if (mode !== "filterGrad" && c === 2 && stride === 1) {
            flavours.push("p");
          }
          const outputs = flavours.map((flavour) => {
            const out = simd.allocate([...shape]);
            k[`depthwise_${mode}_${flavour}`](
              simd.pointer(a),
              simd.pointer(b),
              out.pointer,
              ...[n, h, w, c, oh, ow, kernel, kernel, Math.log2(stride)],
              ...[dilation, padding, padding],
            );
            const bits = new Uint32Array(out.tensor.dataSync().buffer);
            out.tensor.dispose();
            return bits;
          });
          for (let i = 1; i < outputs.length; i++) {
            assert.deepEqual(
              outputs[i],
              outputs[0],
              `${mode}_${flavours[i]} at ${[n, h, w, c, kernel, stride]}`,
            );
          }
        }
        tf.dispose([x, dy, filter]);
      }
    }, ["wasm"]);
  },
});

Deno.test({
  name:
    "the vector depthwise kernels, the filter gradient two channel groups a pass, give the scalar flavour's bits",
  ignore: await lacksBackends(["wasm"]),
  fn: async (t) => {
    await onEachBackend(t, () => {
      const simd = simdKernels()!;
      const k = simd.kernels as unknown as Record<
        string,
        (...args: number[]) => void
      >;
      // n, h, w, c, kernel, stride, dilation, padding: groups of 4 channels.
      // The filter gradient takes two groups a pass, then one: 8, 16, 32 and
      // 64 channels pair every group, 12 and 28 leave one after the pairs, 4
      // pairs none. The forward and input gradient take one a pass.
      const cases = [
        [2, 9, 7, 8, 3, 1, 1, 1],
        [2, 8, 8, 12, 5, 2, 1, 2],
        [1, 7, 9, 16, 3, 1, 2, 2],
        [2, 6, 6, 28, 5, 1, 2, 4],
        [1, 5, 6, 32, 3, 2, 1, 1],
        [2, 5, 5, 4, 3, 2, 1, 1],
        [2, 4, 4, 64, 3, 1, 1, 1],
        // Wide rows: the pixel pairs' loop runs long, with and without
        // padding, at dilation 2 and at a stride of 2.
        [2, 5, 21, 8, 3, 1, 1, 1],
        [1, 4, 33, 4, 5, 1, 2, 4],
        [2, 6, 16, 12, 5, 1, 1, 2],
        [1, 3, 12, 4, 3, 1, 1, 0],
        [1, 4, 20, 4, 3, 2, 1, 1],
      ];
      for (const [n, h, w, c, kernel, stride, dilation, padding] of cases) {
        const span = dilation * (kernel - 1) + 1;
        const oh = Math.floor((h + 2 * padding - span) / stride) + 1;
        const ow = Math.floor((w + 2 * padding - span) / stride) + 1;
        const x = tf.randomNormal([n, h, w, c], 0, 1, "float32", n + c);
        const dy = tf.randomNormal([n, oh, ow, c], 0, 1, "float32", h + w);
        const filter = tf.randomNormal(
          [kernel, kernel, c, 1],
          0,
          1,
          "float32",
          c,
        );
        // Each mode's inputs and output shape: the forward reads x and the
        // filter, the input gradient dy and the filter, the filter gradient
        // x and dy.
        const modes = {
          forward: [x, filter, [n, oh, ow, c]],
          inputGrad: [dy, filter, [n, h, w, c]],
          filterGrad: [x, dy, [kernel, kernel, c, 1]],
        } as const;
        for (const [mode, [a, b, shape]] of Object.entries(modes)) {
          const outputs = ["s", "v"].map((flavour) => {
            const out = simd.allocate([...shape]);
            k[`depthwise_${mode}_${flavour}`](
              simd.pointer(a),
              simd.pointer(b),
              out.pointer,
              ...[n, h, w, c, oh, ow, kernel, kernel, Math.log2(stride)],
              ...[dilation, padding, padding],
            );
            const bits = new Uint32Array(out.tensor.dataSync().buffer);
            out.tensor.dispose();
            return bits;
          });
          assert.deepEqual(
            outputs[1],
            outputs[0],
            `${mode}, c=${c}, kernel ${kernel}`,
          );
        }
        tf.dispose([x, dy, filter]);
      }
    }, ["wasm"]);
  },
});

Deno.test({
  name: "the wasm SIMD depthwise kernels match finite differences",
  ignore: await lacksBackends(["wasm"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      for (const c of DEPTHWISE_CASES.slice(0, 5)) {
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
          assert.ok(e < 1e-2, `${JSON.stringify(c)}: mismatch ${e}`);
        }
      }
    }, ["wasm"]);
  },
});

Deno.test({
  name: "the wasm SIMD pointwise product equals tfjs' matMul and its gradients",
  ignore: await lacksBackends(["wasm"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      for (
        const [inner, cols] of [
          [4, 4],
          [4, 6],
          [2, 8],
          [8, 8],
          [16, 4],
          [12, 8],
          [6, 10],
        ]
      ) {
        const [x, w] = randomInputs(
          [[2, 5, 7, inner], [1, 1, inner, cols]],
          inner,
        );
        const f = (a: tf.Tensor, b: tf.Tensor) =>
          pointwiseConv(a as tf.Tensor4D, b);
        assertClose(
          await valueAndGrads(f, [x, w], true),
          await valueAndGrads(f, [x, w], false),
          `${inner} -> ${cols}`,
        );
        const { worst } = await gradientCheck(f, [x, w]);
        tf.dispose([x, w]);
        for (const e of worst) assert.ok(e < 1e-2, `${inner} -> ${cols}: ${e}`);
      }
    }, ["wasm"]);
  },
});

Deno.test({
  name:
    "the wasm SIMD batch norm equals the host one, with its statistics and gradients",
  ignore: await lacksBackends(["wasm"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      // Quads of channels, and pairs (the half-vector flavour).
      for (const channels of [4, 8, 16, 2, 6]) {
        const [x, gamma, beta] = randomInputs(
          [[3, 5, 6, channels], [channels], [channels]],
          channels,
        );
        // An input far from zero mean: the double-precision affine map matters.
        const shifted = tf.add(x, 40);
        for (const affine of [true, false]) {
          const f = (a: tf.Tensor, g?: tf.Tensor, b?: tf.Tensor) => {
            const r = affine
              ? batchNormTraining(
                a as tf.Tensor4D,
                g as tf.Tensor1D,
                b as tf.Tensor1D,
              )
              : batchNormTraining(a as tf.Tensor4D);
            // Statistics join the output so that both are compared.
            const joined = tf.concat([
              tf.reshape(r.output, [-1]),
              r.statistics,
            ]);
            r.statistics.dispose();
            return joined;
          };
          const inputs = affine ? [shifted, gamma, beta] : [shifted];
          assertClose(
            await valueAndGrads(f, inputs, true),
            await valueAndGrads(f, inputs, false),
            `${channels} channels, affine ${affine}`,
          );
        }
        const { worst } = await gradientCheck((a, g, b) => {
          const r = batchNormTraining(
            a as tf.Tensor4D,
            g as tf.Tensor1D,
            b as tf.Tensor1D,
          );
          r.statistics.dispose();
          return r.output;
        }, [x, gamma, beta]);
        tf.dispose([x, gamma, beta, shifted]);
        for (const e of worst) assert.ok(e < 1e-2, `${channels}: ${e}`);
      }
    }, ["wasm"]);
  },
});

Deno.test({
  name:
    "the wasm SIMD max-pool gradient equals the host one, ties to the first maximum",
  ignore: await lacksBackends(["wasm"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      for (const channels of [4, 3, 8]) {
        for (const stride of [1, 2]) {
          // Few distinct values: many ties inside windows.
          const x = tf.tidy(() =>
            tf.round(tf.randomUniform([2, 7, 8, channels], -2, 2, "float32", 3))
          );
          const f = (a: tf.Tensor) => maxPool(a as tf.Tensor4D, 3, stride, 1);
          assertClose(
            await valueAndGrads(f, [x], true),
            await valueAndGrads(f, [x], false),
            `${channels} channels, stride ${stride}`,
          );
          x.dispose();
        }
      }
    }, ["wasm"]);
  },
});

Deno.test({
  name:
    "the wasm SIMD max-pool forward gives tfjs' maxima bit for bit, split or not, and a NaN in a window wins",
  ignore: await lacksBackends(["wasm"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      // Batch 64 at 16×16 splits across the kernel pool where it has workers.
      for (const [n, side] of [[2, 7], [64, 16]]) {
        for (const channels of [4, 3, 8, 12]) {
          for (const stride of [1, 2]) {
            const x = tf.randomNormal(
              [n, side, side + 1, channels],
              0,
              1,
              "float32",
              channels + stride,
            );
            const simd = maxPool(x as tf.Tensor4D, 3, stride, 1);
            const portable = tf.maxPool(x as tf.Tensor4D, 3, stride, 1);
            assert.deepEqual(
              new Uint32Array((await simd.data() as Float32Array).buffer),
              new Uint32Array((await portable.data() as Float32Array).buffer),
              `${[n, side, channels, stride]}`,
            );
            tf.dispose([x, simd, portable]);
          }
        }
      }
      for (const channels of [4, 3]) {
        const values = new Float32Array(5 * 5 * channels).fill(1);
        values[(2 * 5 + 2) * channels] = NaN;
        const x = tf.tensor4d(values, [1, 5, 5, channels]);
        const pooled = maxPool(x, 3, 1, 1);
        const y = await pooled.data();
        // Every window over pixel (2, 2) holds the NaN in channel 0.
        for (let oy = 0; oy < 5; oy++) {
          for (let ox = 0; ox < 5; ox++) {
            const covers = Math.abs(oy - 2) <= 1 && Math.abs(ox - 2) <= 1;
            const at = (oy * 5 + ox) * channels;
            assert.equal(
              Number.isNaN(y[at]),
              covers,
              `${channels}: ${oy},${ox}`,
            );
            assert.equal(y[at + 1], 1);
          }
        }
        tf.dispose([x, pooled]);
      }
    }, ["wasm"]);
  },
});

Deno.test({
  name: "the wasm SIMD layout ops equal the host ones with their gradients",
  ignore: await lacksBackends(["wasm"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      const [x, y, z, w] = randomInputs(
        [[2, 7, 6, 8], [2, 7, 6, 4], [2, 7, 6, 3], [4]],
        11,
      );
      const cases: [string, (...t: tf.Tensor[]) => tf.Tensor, tf.Tensor[]][] = [
        [
          "slice",
          (a) => slice4d(a as tf.Tensor4D, [1, 2, 1, 2], [1, 4, 5, 4]),
          [
            x,
          ],
        ],
        [
          "slice odd width",
          (a) => slice4d(a as tf.Tensor4D, [0, 0, 0, 1], [2, 7, 6, 3]),
          [x],
        ],
        [
          "concat",
          (a, b, c) => concatChannels([a, b, c] as tf.Tensor4D[]),
          [x, y, z],
        ],
        ["subsample even", (a) => subsample2(a as tf.Tensor4D, 0), [x]],
        ["subsample odd", (a) => subsample2(a as tf.Tensor4D, 1), [z]],
        ["pad", (a) => padSpatial(a as tf.Tensor4D, 2, 1), [y]],
        [
          "weighted sum",
          (a, b, weights) =>
            weightedSum([a, b, a] as tf.Tensor4D[], weights as tf.Tensor1D, [
              0,
              3,
              1,
            ]),
          [y, tf.mul(y, 0.5), w],
        ],
        [
          "spread and pad",
          (a) => tf.mul(spreadAndPad(a as tf.Tensor4D, 2, 1, 2, 15, 14), 1),
          [z],
        ],
      ];
      for (const [name, f, inputs] of cases) {
        if (name === "spread and pad") {
          // Not differentiable (used inside gradients): compare values only.
          const [on, off] = [true, false].map((k) => {
            const before = setSimdKernelsEnabled(k);
            try {
              return tf.tidy(() => f(...inputs).dataSync() as Float32Array);
            } finally {
              setSimdKernelsEnabled(before);
            }
          });
          assertClose([on], [off], name);
          continue;
        }
        assertClose(
          await valueAndGrads(f, inputs, true),
          await valueAndGrads(f, inputs, false),
          name,
        );
      }
      tf.dispose([x, y, z, w, cases[6][2][1]]);
    }, ["wasm"]);
  },
});

Deno.test({
  name:
    "the wasm SIMD average pool equals the portable one (padding left out of the count)",
  ignore: await lacksBackends(["wasm"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      for (const channels of [4, 3, 8]) {
        for (
          const [kernel, stride, padding] of [[3, 1, 1], [3, 2, 1], [2, 2, 0]]
        ) {
          const [x] = randomInputs([[2, 7, 8, channels]], channels + stride);
          const f = (a: tf.Tensor) =>
            avgPool(a as tf.Tensor4D, kernel, stride, padding);
          assertClose(
            await valueAndGrads(f, [x], true),
            await valueAndGrads(f, [x], false),
            `${channels} channels, ${kernel}x${kernel} stride ${stride} padding ${padding}`,
          );
          x.dispose();
        }
      }
    }, ["wasm"]);
  },
});

Deno.test({
  name: "the wasm SIMD ReLU equals tfjs' relu, gradient zero at 0",
  ignore: await lacksBackends(["wasm"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      // 4·7 + 3 values: the vector loop and the scalar tail; exact zeros included.
      const x = tf.tensor1d(
        Array.from(
          { length: 31 },
          (_, i) => (i % 5 === 0 ? 0 : (i % 3) - 1.2 + i / 40),
        ),
      );
      const f = (a: tf.Tensor) => relu(a);
      assertClose(
        await valueAndGrads(f, [x], true),
        await valueAndGrads(f, [x], false),
        "relu",
      );
      const dx = tf.grad((a: tf.Tensor) => tf.sum(relu(a)))(x);
      const [xs, grads] = [await x.data(), await dx.data()];
      xs.forEach((v, i) => assert.equal(grads[i], v > 0 ? 1 : 0, `at ${v}`));
      tf.dispose([x, dx]);
    }, ["wasm"]);
  },
});
