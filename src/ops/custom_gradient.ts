/**
 * A typed front for `tf.customGrad`: the forward function receives its tensor
 * inputs as an array plus the save function, and returns the value and a
 * gradient function that receives the upstream gradient and the saved tensors.
 */
import * as tf from "../tf.ts";

/** What a custom op's forward function returns. */
export interface CustomForward {
  /** The op's output. */
  value: tf.Tensor;
  /** One gradient per input, given the upstream gradient and saved tensors. */
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
}

/** Makes a differentiable op from a forward function with its own gradient. */
export function customOp(
  forward: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => CustomForward,
): (...inputs: tf.Tensor[]) => tf.Tensor {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const inputs = args.slice(0, -1) as tf.Tensor[];
    const result = forward(inputs, save);
    return {
      value: result.value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        inputs.length === 1
          ? result.gradFunc(dy, saved)[0]
          : result.gradFunc(dy, saved),
    };
  });
  return (...inputs: tf.Tensor[]) => op(...inputs);
}
