/**
 * Activation recomputation ("gradient checkpointing") for one block of the
 * network: the forward pass keeps only the block's inputs and output, and the
 * backward pass runs the block's forward again under a fresh tape to get its
 * gradients. tfjs otherwise keeps every intermediate tensor of the forward pass
 * until the backward pass ends, which is what limits the batch on the wasm
 * backend (a 4 GiB heap); with a search cell as the block, peak memory falls to
 * about one cell's intermediates at the cost of one more forward pass.
 */
import * as tf from "../tf.ts";
import { customOp, gradientNeeds } from "./custom_gradient.ts";

/**
 * Runs `block(activations)` so that its intermediates are recomputed in the
 * backward pass instead of kept. `parameters` must list every variable the
 * block reads (their gradients flow through this op); `activations` are the
 * block's other tensor inputs. The block must be deterministic: anything random
 * in it must replay the same draws when called again (see `beforeReplay`).
 */
export function recomputed(
  block: (activations: tf.Tensor[]) => tf.Tensor,
  activations: tf.Tensor[],
  parameters: tf.Variable[],
  beforeReplay?: () => () => void,
): tf.Tensor {
  const count = activations.length;
  const op = customOp((inputs, save) => {
    save(inputs.slice(0, count));
    return {
      value: block(inputs.slice(0, count)),
      gradFunc: (dy, saved) => {
        // Saved tensors are copies: the activations are replayed from them, while
        // the parameters must be the variables themselves, which the block reads.
        const inputsAgain = saved.slice(0, count);
        const wantParams = gradientNeeds.weights;
        const restore = beforeReplay?.();
        try {
          const targets = wantParams
            ? [...inputsAgain, ...parameters]
            : inputsAgain;
          // The nested gradient call starts (and at its end drops) the engine's
          // active tape; the outer backward pass still needs its own.
          const state = tf.engine().state as unknown as { activeTape: unknown };
          const outerTape = state.activeTape;
          let result;
          try {
            result = tf.engine().gradients(
              () => block(inputsAgain),
              targets,
              dy,
              true,
            );
          } finally {
            state.activeTape = outerTape;
          }
          const { value, grads } = result;
          value.dispose();
          const all = targets.map((t, i) => grads[i] ?? tf.zerosLike(t));
          if (wantParams) return all;
          return [...all, ...parameters.map((p) => tf.zerosLike(p))];
        } finally {
          restore?.();
        }
      },
    };
  });
  return op(...activations, ...parameters);
}

/** A generator whose state can be read and put back (`Random`). */
interface ReplayableRandom<S> {
  getState(): S;
  setState(state: S): void;
}

/**
 * The `beforeReplay` of a block that draws from `random`: it takes the
 * generator's state now, before the block's first run; a replay starts from
 * it, so it draws the same numbers, and the state the forward pass reached is
 * put back after it.
 */
export function replayDrawsOf<S>(
  random: ReplayableRandom<S>,
): () => () => void {
  const before = random.getState();
  return () => {
    const now = random.getState();
    random.setState(before);
    return () => random.setState(now);
  };
}

/**
 * Which cells of a network recompute their intermediates: `true` every cell,
 * a number N the first N (the largest activations: a cell's intermediates
 * shrink with its pixels times channels, which halve at each reduction, while
 * its arithmetic stays about the same), `false` or 0 none.
 */
export type CellRecomputation = boolean | number;

/** Whether cell `index` (from 0) recomputes under `setting`. */
export function recomputesCell(
  setting: CellRecomputation | undefined,
  index: number,
): boolean {
  return typeof setting === "number" ? index < setting : setting === true;
}

/** `setting` in words: `every cell`, `the first 3 cells`, `no cell`. */
export function describeRecomputation(
  setting: CellRecomputation | undefined,
  layers: number,
): string {
  const count = typeof setting === "number"
    ? Math.min(setting, layers)
    : setting
    ? layers
    : 0;
  return count === layers
    ? "every cell"
    : count === 0
    ? "no cell"
    : count === 1
    ? "the first cell"
    : `the first ${count} cells`;
}
