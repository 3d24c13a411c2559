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
 * Which gradients the gradient being computed needs. tfjs evaluates built-in
 * gradients lazily, per needed input, but a custom gradient returns every
 * input's gradient at once:
 * - `weights` (filters): an architecture step needs none, so its caller turns
 *   them off with {@linkcode withoutWeightGradients};
 * - `mixingWeights` (the softmaxed alphas and betas of the weighted sums): a
 *   weight step needs none ({@linkcode withoutMixingWeightGradients}).
 * The custom ops then leave those tensors out of their inputs.
 */
export const gradientNeeds = { weights: true, mixingWeights: true };

function without<T>(kind: keyof typeof gradientNeeds, f: () => T): T {
  const before = gradientNeeds[kind];
  gradientNeeds[kind] = false;
  try {
    return f();
  } finally {
    gradientNeeds[kind] = before;
  }
}

/** Runs `f` (a gradient computation) with filter gradients turned off. */
export function withoutWeightGradients<T>(f: () => T): T {
  return without("weights", f);
}

/**
 * Runs `f` (a gradient computation) with the weighted sums' mixing-weight
 * gradients turned off.
 */
export function withoutMixingWeightGradients<T>(f: () => T): T {
  return without("mixingWeights", f);
}
