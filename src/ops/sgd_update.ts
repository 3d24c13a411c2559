/**
 * SGD updates, PyTorch's way: `d = g + wd·w`, the momentum buffer
 * `b = m·b_prev + d` (`d` itself at the first step), `w ← w − lr·b`.
 * Portable: tfjs ops. The cpu and wasm backends register one pass on the host
 * per variable (six kernels a variable were a sixth of a search step's kernels
 * there); webgpu one dispatch for a group of variables and their buffers, in
 * place (see `webgpu/sgd_program.ts`).
 */
import * as tf from "../tf.ts";
import { defineOp } from "./op_kernels.ts";

/** The update's settings. */
export interface SgdSettings {
  /** Learning rate. */
  lr: number;
  /** Momentum (0: none). */
  momentum: number;
  /** L2 weight decay. */
  weightDecay: number;
}

/**
 * Updates `v` in place from gradient `g` and returns the new momentum buffer;
 * `previous` (the old buffer, if any) is left for the caller to dispose.
 */
export const sgdUpdate = defineOp(
  "sgdUpdate",
  (
    v: tf.Variable,
    g: tf.Tensor,
    previous: tf.Tensor | undefined,
    { lr, momentum, weightDecay }: SgdSettings,
  ): tf.Tensor => {
    const next = tf.tidy(() => {
      const d = weightDecay ? tf.add(g, tf.mul(v, weightDecay)) : g;
      return previous && momentum
        ? tf.add(tf.mul(previous, momentum), d)
        : tf.clone(d);
    });
    tf.tidy(() => v.assign(tf.sub(v, tf.mul(next, lr))));
    return next;
  },
);

/** One variable's part of {@linkcode sgdUpdates}. */
export interface SgdItem {
  /** The variable, updated in place. */
  variable: tf.Variable;
  /** Its gradient. */
  gradient: tf.Tensor;
  /** Its momentum buffer from the previous update, if any. */
  previous?: tf.Tensor;
}

/**
 * Updates every item's variable and returns each one's new momentum buffer,
 * in order. A returned buffer may be `previous` itself, updated in place;
 * any other `previous` is left for the caller to dispose.
 */
export const sgdUpdates = defineOp(
  "sgdUpdates",
  (items: SgdItem[], settings: SgdSettings): tf.Tensor[] =>
    items.map((item) =>
      sgdUpdate(item.variable, item.gradient, item.previous, settings)
    ),
);
