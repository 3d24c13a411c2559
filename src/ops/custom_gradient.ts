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

/**
 * Whether the gradient being computed needs the gradients of weights (filters).
 * tfjs evaluates built-in gradients lazily, per needed input, but a custom
 * gradient returns every input's gradient at once; an architecture step needs
 * no filter gradients, so its caller turns them off with
 * {@linkcode withoutWeightGradients} and the custom ops return zeros instead.
 */
export const gradientNeeds = { weights: true };

/** Runs `f` (a gradient computation) with filter gradients turned off. */
export function withoutWeightGradients<T>(f: () => T): T {
  const before = gradientNeeds.weights;
  gradientNeeds.weights = false;
  try {
    return f();
  } finally {
    gradientNeeds.weights = before;
  }
}
