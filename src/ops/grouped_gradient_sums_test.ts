import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { storageBufferLimit } from "../backends/webgpu/webgpu_device.ts";
import { onEachBackend } from "../testing/backends.ts";
import { assertSameBits, smallSearchPass } from "../testing/search_pass.ts";
import { assertClose } from "../testing/path_comparison.ts";
import { programDispatchCount } from "../backends/webgpu/webgpu_programs.ts";
import { setGroupedGradientSums } from "../testing/option_setters.ts";

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
      // without our programs sums with one AddN and webgpu with one dispatch
      // (up to as many terms as the device binds, 31 on the one it asks for).
      assert.equal(pairwise.adds, 11, "pairwise adds");
      assert.equal(grouped.adds, 0, "adds when grouped");
      if (backend === "webgpu") {
        assert.equal(
          grouped.dispatches - pairwise.dispatches,
          Math.ceil((12 - 1) / (storageBufferLimit() - 2)),
        );
      }
    } finally {
      x.dispose();
    }
  });
});

const adds = (names: string[]) => names.filter((n) => n === "Add").length;

Deno.test("grouped gradient sums give a search network the same gradients, bit for bit", async (t) => {
  await onEachBackend(t, async (backend) => {
    // webgpu on lavapipe compiles a program per shape: one case there.
    for (
      const recomputeCells of backend === "webgpu" ? [false] : [false, true]
    ) {
      const label = recomputeCells ? "recomputed cells" : "plain";
      // Without the early release, which would hide what the grouping keeps.
      const pairwise = await smallSearchPass({
        recomputeCells,
        groupedSums: false,
        backwardRelease: false,
      });
      const grouped = await smallSearchPass({
        recomputeCells,
        backwardRelease: false,
      });
      // TensorFlow's AddN adds in an order of its own: the same sums within
      // float32 rounding there, the same bits elsewhere.
      if (backend === "tensorflow") {
        assertClose(grouped.values, pairwise.values, label, 1e-5);
      } else {
        assertSameBits(grouped, pairwise, label);
      }
      const pairwiseAdds = adds(pairwise.kernelNames);
      const groupedAdds = adds(grouped.kernelNames);
      assert.ok(pairwiseAdds > 100, `${label}: ${pairwiseAdds} adds`);
      // On tensorflow the forward pass (twice with recomputed cells) adds
      // with Add kernels too, elsewhere done on the host or in WGSL: there
      // the 367 gradient accumulations of this network go, the rest stay.
      assert.ok(
        backend === "tensorflow"
          ? groupedAdds <= pairwiseAdds - 300
          : groupedAdds < pairwiseAdds / 10,
        `${label}: ${groupedAdds} adds grouped, ${pairwiseAdds} pairwise`,
      );
      // No more memory: the same gradients live as long as before.
      assert.ok(
        grouped.peakBytes <= pairwise.peakBytes * 1.001,
        `${label}: peak ${grouped.peakBytes} vs ${pairwise.peakBytes}`,
      );
    }
  });
});
