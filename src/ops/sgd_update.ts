/**
 * SGD updates, PyTorch's way: `d = g + wd·w`, the momentum buffer
 * `b = m·b_prev + d` (`d` itself at the first step), `w ← w − lr·b`.
 * On cpu and wasm one pass on the host per variable (six kernels a variable
 * were a sixth of a search step's kernels there); on webgpu one dispatch
 * updates a group of variables and their buffers in place (see
 * `webgpu/sgd_program.ts`); elsewhere tfjs ops.
 */
import * as tf from "../tf.ts";
import { hostLayoutEnabled } from "./host_layout.ts";
import { webGpuProgramsActive } from "./webgpu/webgpu_programs.ts";
import { linearCombinationWebGpu } from "./webgpu/linear_combination_program.ts";
import { sgdUpdatesWebGpu } from "./webgpu/sgd_program.ts";

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
export function sgdUpdate(
  v: tf.Variable,
  g: tf.Tensor,
  previous: tf.Tensor | undefined,
  { lr, momentum, weightDecay }: SgdSettings,
): tf.Tensor {
  if (hostLayoutEnabled()) {
    const gradient = g.dataSync() as Float32Array;
    const w = v.dataSync() as Float32Array;
    const old = previous && momentum
      ? previous.dataSync() as Float32Array
      : null;
    const buffer = new Float32Array(gradient.length);
    const updated = new Float32Array(gradient.length);
    for (let i = 0; i < gradient.length; i++) {
      const d = gradient[i] + weightDecay * w[i];
      buffer[i] = old ? momentum * old[i] + d : d;
      updated[i] = w[i] - lr * buffer[i];
    }
    tf.tidy(() => v.assign(tf.tensor(updated, v.shape)));
    return tf.tensor(buffer, v.shape);
  }
  if (webGpuProgramsActive()) {
    const terms: [tf.Tensor, number][] = [[g, 1]];
    if (weightDecay) terms.push([v, weightDecay]);
    if (previous && momentum) terms.push([previous, momentum]);
    const next = linearCombinationWebGpu(terms);
    tf.tidy(() => v.assign(linearCombinationWebGpu([[v, 1], [next, -lr]])));
    return next;
  }
  const next = tf.tidy(() => {
    const d = weightDecay ? tf.add(g, tf.mul(v, weightDecay)) : g;
    return previous && momentum
      ? tf.add(tf.mul(previous, momentum), d)
      : tf.clone(d);
  });
  tf.tidy(() => v.assign(tf.sub(v, tf.mul(next, lr))));
  return next;
}

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
export function sgdUpdates(
  items: SgdItem[],
  settings: SgdSettings,
): tf.Tensor[] {
  if (webGpuProgramsActive() && !hostLayoutEnabled()) {
    return sgdUpdatesWebGpu(
      items,
      settings,
      (item) =>
        sgdUpdate(item.variable, item.gradient, item.previous, settings),
    );
  }
  return items.map((item) =>
    sgdUpdate(item.variable, item.gradient, item.previous, settings)
  );
}
