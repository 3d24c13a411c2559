/**
 * Frees what a backward pass no longer needs as it goes, as PyTorch's autograd
 * does, instead of when it ends.
 *
 * tfjs' backpropagation (4.22, `tape.ts` and `engine.gradients`) keeps every
 * node's upstream gradients and saved tensors until the whole backward pass is
 * over: at its end the peak holds every saved activation and every
 * intermediate gradient of the network at once. Once a node's gradient has
 * been computed, nothing reads its upstream gradients or its saved tensors
 * again, so they are released when backpropagation moves on to the next node —
 * except a tensor that a gradient function handed back as an input's gradient
 * (a pass-through), which lives on as that input's gradient, and the upstream
 * gradient the caller passed in.
 */
import type * as tf from "../tf.ts";
import type { TapeNode } from "./gradient_tape.ts";
import { executionOptions } from "./execution_options.ts";

/**
 * Wraps the gradient functions of `tape` so that each node's upstream
 * gradients and saved tensors are freed when the backward pass reaches the
 * next node of this computation; `keep` (the caller's upstream gradient) is
 * never freed.
 */
export function releaseAsBackwardGoes(
  tape: TapeNode[],
  keep: tf.Tensor | null | undefined,
): void {
  if (!executionOptions().backwardRelease) return;
  // How many of tfjs' gradient slots hold each tensor: a gradient function's
  // result takes one, and a node's upstream gradient leaves its slot when the
  // node is differentiated. Only tensors in no slot are freed.
  const slots = new Map<tf.Tensor, number>();
  let pending: tf.Tensor[] = [];
  const releasePending = () => {
    for (const tensor of pending) {
      if (tensor === keep || slots.get(tensor)) continue;
      tensor.dispose();
      slots.delete(tensor);
    }
    pending = [];
  };
  for (const node of tape) {
    const gradient = node.gradient;
    if (!gradient) continue;
    node.gradient = (dys) => {
      releasePending();
      const upstream = dys.filter((dy): dy is tf.Tensor => dy !== null);
      for (const dy of upstream) {
        const held = slots.get(dy);
        if (held) slots.set(dy, held - 1);
      }
      pending = [...upstream, ...(node.saved ?? [])];
      const thunks = gradient(dys);
      const counted: Record<string, () => tf.Tensor> = {};
      for (const name in thunks) {
        counted[name] = () => {
          const dx = thunks[name]();
          slots.set(dx, (slots.get(dx) ?? 0) + 1);
          return dx;
        };
      }
      return counted;
    };
  }
}
