/**
 * `deno task bench:micro`: forward+backward of each primitive and of one MixedOp
 * at K=1 and K=4 (C=16, batch 32, 16x16), on the wasm backend (set
 * PCDARTS_BENCH_BACKEND to change it).
 */
import * as tf from "../src/tf.ts";
import { initBackend } from "../src/backends/init.ts";
import { ParameterStore } from "../src/space/parameters.ts";
import { createPrimitive, PRIMITIVES } from "../src/space/primitives.ts";
import { MixedOp } from "../src/space/mixed_op.ts";

await initBackend(Deno.env.get("PCDARTS_BENCH_BACKEND") ?? "wasm");
const x = tf.randomNormal([32, 16, 16, 16], 0, 1, "float32", 1) as tf.Tensor4D;

function forwardBackward(
  forward: (input: tf.Tensor4D) => tf.Tensor,
  variables: tf.Variable[],
) {
  const input = tf.variable(x);
  const { value, grads } = tf.variableGrads(
    () => tf.sum(forward(input as tf.Tensor4D)) as tf.Scalar,
    [
      input,
      ...variables,
    ],
  );
  value.dataSync();
  tf.dispose([value, input, ...Object.values(grads)]);
}

for (const name of PRIMITIVES.filter((p) => p !== "none")) {
  for (const stride of [1, 2]) {
    const store = new ParameterStore(0);
    const op = createPrimitive(name, store, "", 16, stride, {
      affine: false,
      poolBatchNorm: true,
    });
    const vars = store.trainable().map((p) => p.variable);
    Deno.bench(`${name} stride ${stride}`, { group: "primitives" }, () => {
      forwardBackward((input) => op.forward(input, { training: true }), vars);
    });
  }
}

for (const k of [1, 4]) {
  const store = new ParameterStore(0);
  const op = new MixedOp(store, "", 16, 1, {
    partialChannels: k,
    channelSampling: "first",
  });
  const alphas = tf.variable(tf.zeros([8]));
  const vars = [...store.trainable().map((p) => p.variable), alphas];
  Deno.bench(`MixedOp K=${k}`, { group: "mixed op" }, () => {
    forwardBackward(
      (input) =>
        op.forward(input, tf.softmax(alphas) as tf.Tensor1D, {
          training: true,
        }),
      vars,
    );
  });
}
