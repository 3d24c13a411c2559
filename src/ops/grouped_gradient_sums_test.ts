import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { onEachBackend } from "../testing/backends.ts";
import { SearchNetwork } from "../space/search_network.ts";
import { profiledSearchPass } from "../testing/search_pass.ts";
import { setGroupedGradientSums } from "./grouped_gradient_sums.ts";
import { programDispatchCount } from "./webgpu/webgpu_programs.ts";

/** `f`'s gradient with respect to `x`, its Add kernels, and our dispatches. */
async function gradientOf(
  f: (x: tf.Tensor) => tf.Scalar,
  x: tf.Variable,
  grouped: boolean,
): Promise<{ gradient: Float32Array; adds: number; dispatches: number }> {
  const before = setGroupedGradientSums(grouped);
  try {
    const dispatchesBefore = programDispatchCount();
    let gradient: tf.Tensor | undefined;
    const profile = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => f(x), [x]);
      value.dispose();
      gradient = grads[x.name];
      return [];
    });
    const values = await gradient!.data() as Float32Array;
    gradient!.dispose();
    return {
      gradient: values,
      adds: profile.kernels.filter((k) => k.name === "Add").length,
      dispatches: programDispatchCount() - dispatchesBefore,
    };
  } finally {
    setGroupedGradientSums(before);
  }
}

Deno.test("a tensor's gradients are summed in one pass, in tfjs' order", async (t) => {
  await onEachBackend(t, async (backend) => {
    const start = [0.5, -2.25, 3];
    const initial = tf.tensor1d(start);
    const x = tf.variable(initial, true, `grouped_x_${backend}`);
    initial.dispose();
    // Read twice by one square, by ten products and once off the path to the
    // loss. tfjs adds the readers' gradients last reader first: in that order
    // the 1e8 terms cancel before the small ones arrive; in the reverse order
    // the small sum is rounded to float32's spacing of 8 near 1e8.
    const coefficients = [1, 2, 3, 4, 5, 6, 7, 8, 1e8, -1e8];
    const f = (input: tf.Tensor): tf.Scalar => {
      const unused = tf.mul(input, 100);
      unused.dispose();
      const terms = [
        tf.mul(input, input),
        ...coefficients.map((c) => tf.mul(input, c)),
      ];
      return tf.sum(tf.concat(terms)) as tf.Scalar;
    };
    try {
      const pairwise = await gradientOf(f, x, false);
      const grouped = await gradientOf(f, x, true);
      assert.deepEqual(grouped.gradient, pairwise.gradient);
      assert.deepEqual(
        [...pairwise.gradient],
        start.map((v) => 36 + 2 * v),
        "tfjs' own order: exact",
      );
      // Twelve uses of x: eleven adds pairwise; none grouped, where a backend
      // without our programs sums with one AddN and webgpu with two dispatches
      // (seven terms, then the total and the last five).
      assert.equal(pairwise.adds, 11, "pairwise adds");
      assert.equal(grouped.adds, 0, "adds when grouped");
      if (backend === "webgpu") {
        assert.equal(grouped.dispatches - pairwise.dispatches, 2);
      }
    } finally {
      x.dispose();
    }
  });
});

/** Loss and every gradient of one training-mode pass, and what it cost. */
async function searchGradients(
  grouped: boolean,
  recomputeCells: boolean,
): Promise<{ values: Float32Array[]; adds: number; peakBytes: number }> {
  const before = setGroupedGradientSums(grouped);
  const network = new SearchNetwork({
    channels: 8,
    layers: 3,
    numClasses: 10,
    partialChannels: 2,
    edgeNormalization: true,
    recomputeCells,
    seed: 5,
  });
  const { values, kernelNames, peakBytes } = await profiledSearchPass(network);
  network.dispose();
  setGroupedGradientSums(before);
  return {
    values,
    adds: kernelNames.filter((name) => name === "Add").length,
    peakBytes,
  };
}

Deno.test("grouped gradient sums give a search network the same gradients, bit for bit", async (t) => {
  await onEachBackend(t, async (backend) => {
    // webgpu on lavapipe compiles a program per shape: one case there.
    for (const recompute of backend === "webgpu" ? [false] : [false, true]) {
      const label = recompute ? "recomputed cells" : "plain";
      const pairwise = await searchGradients(false, recompute);
      const grouped = await searchGradients(true, recompute);
      assert.equal(grouped.values.length, pairwise.values.length);
      grouped.values.forEach((values, i) =>
        assert.deepEqual(values, pairwise.values[i], `${label}: tensor ${i}`)
      );
      assert.ok(pairwise.adds > 100, `${label}: ${pairwise.adds} adds`);
      assert.ok(
        grouped.adds < pairwise.adds / 10,
        `${label}: ${grouped.adds} adds grouped, ${pairwise.adds} pairwise`,
      );
      // No more memory: the same gradients live as long as before.
      assert.ok(
        grouped.peakBytes <= pairwise.peakBytes * 1.001,
        `${label}: peak ${grouped.peakBytes} vs ${pairwise.peakBytes}`,
      );
    }
  });
});
