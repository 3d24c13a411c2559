/**
 * The optimizers of the reference, with PyTorch's exact update rules and states
 * that can be saved and restored:
 *
 * - {@linkcode Sgd}: `d = g + wd·w; buf = momentum·buf + d` (buf = d at the first
 *   step); `w -= lr·buf`.
 * - {@linkcode Adam} (L2 weight decay, not AdamW): `g += wd·w`; first and second
 *   moments; `w -= (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)`.
 * - {@linkcode clipGradientNorm}: scales all gradients by
 *   `min(1, maxNorm / (‖g‖ + 1e-6))`, as `clip_grad_norm_`.
 */
import * as tf from "../tf.ts";
import { globalNorm } from "../ops/squared_norm.ts";
import { type SgdItem, sgdUpdates } from "../ops/sgd_update.ts";

/** Named tensors: gradients or optimizer state, keyed by variable name. */
export type TensorMap = Record<string, tf.Tensor>;

/** SGD with momentum and weight decay. */
export class Sgd {
  readonly variables: tf.Variable[];
  readonly momentum: number;
  readonly weightDecay: number;
  /** Momentum buffer per variable name (absent before the first step). */
  readonly buffers = new Map<string, tf.Tensor>();

  /** Trains `variables`. */
  constructor(
    variables: tf.Variable[],
    options: { momentum: number; weightDecay: number },
  ) {
    this.variables = variables;
    this.momentum = options.momentum;
    this.weightDecay = options.weightDecay;
  }

  /** One update with learning rate `lr`; `gradients` are keyed by variable name. */
  step(gradients: TensorMap, lr: number): void {
    const settings = {
      lr,
      momentum: this.momentum,
      weightDecay: this.weightDecay,
    };
    const items: SgdItem[] = [];
    for (const variable of this.variables) {
      const gradient = gradients[variable.name];
      if (!gradient) continue;
      items.push({
        variable,
        gradient,
        previous: this.buffers.get(variable.name),
      });
    }
    const next = sgdUpdates(items, settings);
    items.forEach(({ variable, previous }, i) => {
      if (previous !== next[i]) previous?.dispose();
      this.buffers.set(variable.name, next[i]);
    });
  }

  /** The momentum buffers (for checkpoints), keyed by variable name. */
  state(): TensorMap {
    return Object.fromEntries(this.buffers);
  }

  /** Restores buffers saved by {@linkcode Sgd.state}; takes ownership. */
  restore(state: TensorMap): void {
    this.dispose();
    for (const [name, t] of Object.entries(state)) this.buffers.set(name, t);
  }

  /** Frees the buffers. */
  dispose(): void {
    for (const t of this.buffers.values()) t.dispose();
    this.buffers.clear();
  }
}

/** Adam with L2 weight decay, PyTorch's update. */
export class Adam {
  readonly variables: tf.Variable[];
  readonly options: {
    beta1: number;
    beta2: number;
    epsilon: number;
    weightDecay: number;
  };
  /** Steps taken. */
  stepCount = 0;
  readonly #m = new Map<string, tf.Tensor>();
  readonly #v = new Map<string, tf.Tensor>();

  /** Trains `variables`. */
  constructor(
    variables: tf.Variable[],
    options: {
      beta1: number;
      beta2: number;
      epsilon?: number;
      weightDecay: number;
    },
  ) {
    this.variables = variables;
    this.options = { epsilon: 1e-8, ...options };
  }

  /** One update with learning rate `lr`. */
  step(gradients: TensorMap, lr: number): void {
    this.stepCount++;
    const { beta1, beta2, epsilon, weightDecay } = this.options;
    const correction1 = 1 - beta1 ** this.stepCount;
    const correction2 = 1 - beta2 ** this.stepCount;
    for (const variable of this.variables) {
      const raw = gradients[variable.name];
      if (!raw) continue;
      const m0 = this.#m.get(variable.name);
      const v0 = this.#v.get(variable.name);
      const [m, v] = tf.tidy(() => {
        const g = weightDecay
          ? tf.add(raw, tf.mul(variable, weightDecay))
          : raw;
        const m = tf.add(
          m0 ? tf.mul(m0, beta1) : tf.zerosLike(g),
          tf.mul(g, 1 - beta1),
        );
        const v = tf.add(
          v0 ? tf.mul(v0, beta2) : tf.zerosLike(g),
          tf.mul(tf.square(g), 1 - beta2),
        );
        return [m, v];
      });
      tf.dispose([m0!, v0!].filter(Boolean));
      this.#m.set(variable.name, m);
      this.#v.set(variable.name, v);
      tf.tidy(() => {
        const denominator = tf.add(
          tf.div(tf.sqrt(v), Math.sqrt(correction2)),
          epsilon,
        );
        variable.assign(
          tf.sub(variable, tf.mul(tf.div(m, denominator), lr / correction1)),
        );
      });
    }
  }

  /** Moments keyed `m/<name>` and `v/<name>` (for checkpoints). */
  state(): TensorMap {
    const out: TensorMap = {};
    for (const [k, t] of this.#m) out[`m/${k}`] = t;
    for (const [k, t] of this.#v) out[`v/${k}`] = t;
    return out;
  }

  /** Restores moments saved by {@linkcode Adam.state}; takes ownership. */
  restore(state: TensorMap, stepCount: number): void {
    this.dispose();
    for (const [key, t] of Object.entries(state)) {
      (key.startsWith("m/") ? this.#m : this.#v).set(key.slice(2), t);
    }
    this.stepCount = stepCount;
  }

  /** Frees the moments. */
  dispose(): void {
    for (const t of [...this.#m.values(), ...this.#v.values()]) t.dispose();
    this.#m.clear();
    this.#v.clear();
  }
}

/**
 * Scales `gradients` in place (replacing and disposing the tensors) so that
 * their global norm is at most `maxNorm`; returns the norm before clipping.
 */
export async function clipGradientNorm(
  gradients: TensorMap,
  maxNorm: number,
): Promise<number> {
  const names = Object.keys(gradients);
  const norm = await globalNorm(names.map((n) => gradients[n]));
  const coefficient = Math.min(1, maxNorm / (norm + 1e-6));
  if (coefficient < 1) {
    for (const n of names) {
      const scaled = tf.mul(gradients[n], coefficient);
      gradients[n].dispose();
      gradients[n] = scaled;
    }
  }
  return norm;
}
