/**
 * ReLU on the webgpu backend with a one-dispatch gradient: tfjs' gradient is a
 * `Step` and a `Multiply` (two dispatches and a temporary); here
 * `dx = x > 0 ? dy : 0` in one. The forward pass stays tfjs' `Relu`.
 */
import * as tf from "../../tf.ts";
import { customOp } from "../../ops/custom_gradient.ts";
import { elementProgram, type Program, runProgram } from "./webgpu_programs.ts";

function reluGradientProgram(shape: number[]): Program {
  return elementProgram({
    shaderKey: "pcdarts_relu_gradient",
    outputShape: shape,
    variableNames: ["x", "dy"],
    body: `result[index] = select(0.0, dy[index], x[index] > 0.0);`,
  });
}

/** `max(x, 0)` with a one-dispatch gradient (call on webgpu only). */
export function reluWebGpu<T extends tf.Tensor>(x: T): T {
  const op = customOp(([input], save) => {
    save([input]);
    return {
      value: tf.relu(input),
      gradFunc: (dy, [saved]) => [
        runProgram(reluGradientProgram(saved.shape), [saved, dy]),
      ],
    };
  });
  return op(x) as T;
}
