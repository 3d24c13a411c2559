/**
 * Our passes over tfjs' gradient tape. tfjs records a kernel per node while a
 * gradient's forward pass runs, then walks the nodes backwards; between the
 * two, `engine.gradients` (which `tf.grad`, `tf.variableGrads` and the
 * recomputed cells call) is wrapped to rewrite the freshly recorded nodes:
 *
 * 1. {@linkcode groupGradientSums}: one sum per tensor read several times,
 *    instead of tfjs' pairwise adds (`grouped_gradient_sums.ts`);
 * 2. {@linkcode releaseAsBackwardGoes}: each node's upstream gradients and
 *    saved tensors freed as soon as the backward pass is past it, instead of
 *    at its end (`backward_release.ts`).
 *
 * It also wraps `engine.clone`, which copies every tensor a kernel saves for
 * its gradient and records the copy as a tape node of its own (half the
 * nodes of a search step's tape). That node lets a higher-order gradient
 * reach the original through the copy; the outermost gradient's backward
 * pass is never itself differentiated, so the copies saved while its forward
 * pass runs are made without nodes (see {@linkcode saveWithoutTapeNode}).
 *
 * This relies on the layout of tfjs-core 4.22's engine and tape
 * (`engine.state.activeTape`, nodes with `inputs`, `outputs`, `saved` and
 * `gradient`); {@linkcode installGradientTapePasses} checks that layout once
 * and leaves tfjs alone when it differs.
 */
import * as tf from "../tf.ts";
import { releaseAsBackwardGoes } from "./backward_release.ts";
import { groupGradientSums } from "./grouped_gradient_sums.ts";

/** A tensor as the tape sees it: an id, a shape and a dtype. */
export interface TapeTensor {
  id: number;
  shape: number[];
  dtype: string;
}

/** One recorded kernel of tfjs' tape. */
export interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, TapeTensor>;
  outputs: TapeTensor[];
  saved?: tf.Tensor[];
  gradient?: (
    dys: (tf.Tensor | null)[],
  ) => Record<string, () => tf.Tensor>;
}

/** The parts of tfjs' engine the passes use. */
export interface EngineInternals {
  state: {
    activeTape: TapeNode[] | null;
    nextTapeNodeId: number;
    gradientDepth: number;
  };
  nextTensorId(): number;
  clone(x: tf.Tensor): tf.Tensor;
  runKernel(
    name: string,
    inputs: Record<string, tf.Tensor>,
    attrs?: Record<string, unknown>,
  ): tf.Tensor;
  gradients(
    f: () => tf.Tensor,
    xs: tf.Tensor[],
    dy?: tf.Tensor | null,
    allowNoGradients?: boolean,
  ): { value: tf.Tensor; grads: tf.Tensor[] };
}

let installed = false;

/** Wraps tfjs' `engine.gradients` once; called when a backend starts. */
export function installGradientTapePasses(): void {
  if (installed) return;
  const engine = tf.engine() as unknown as EngineInternals;
  if (
    typeof engine.gradients !== "function" ||
    typeof engine.nextTensorId !== "function" ||
    typeof engine.clone !== "function" ||
    typeof engine.runKernel !== "function" ||
    typeof engine.state?.nextTapeNodeId !== "number" ||
    typeof engine.state?.gradientDepth !== "number"
  ) {
    return; // another tfjs layout: leave its backward pass alone
  }
  const original = engine.gradients.bind(engine);
  engine.gradients = (f, xs, dy, allowNoGradients) =>
    original(
      () => {
        // A gradient taken inside another's forward pass (a higher-order
        // one) records on the enclosing tape, which will be walked again:
        // such tapes are left as tfjs records them. (The recomputed cells'
        // gradients are taken during a backward pass: a tape of their own.)
        const own = engine.state.gradientDepth === 1;
        const y = f();
        const tape = engine.state.activeTape;
        if (own && tape) {
          groupGradientSums(tape, y, engine);
          releaseAsBackwardGoes(tape, dy);
        }
        return y;
      },
      xs,
      dy,
      allowNoGradients,
    );
  const clone = engine.clone.bind(engine);
  engine.clone = (x) => saveWithoutTapeNode(engine, x) ?? clone(x);
  installed = true;
}

/**
 * The copy a kernel saves for its gradient, made by the backend's Identity
 * kernel (a shared buffer on every backend but tensorflow) without tfjs'
 * tape node, where the tape is the outermost gradient's (depth 1); null
 * elsewhere, for tfjs' own `clone` to make with its node.
 */
function saveWithoutTapeNode(
  engine: EngineInternals,
  x: tf.Tensor,
): tf.Tensor | null {
  if (engine.state.gradientDepth !== 1) return null;
  return engine.runKernel("Identity", { x });
}
