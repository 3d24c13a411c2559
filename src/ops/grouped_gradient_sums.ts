/**
 * Sums the gradients that reach one tensor from several consumers in one
 * pass instead of pairwise.
 *
 * tfjs' backpropagation (4.22, `tape.ts`) adds each consumer's gradient to a
 * tensor's running total as it arrives, one `Add` kernel per extra consumer. A
 * search cell hands one tensor to many ops — a state's activated channels feed
 * the four convolutions of every edge leaving it (up to 24), a state feeds its
 * edges and the cell's output — so a C=16, 8-layer search step made about
 * 1,800 such adds: 7 % of its webgpu dispatches.
 *
 * Once the forward pass of a gradient computation has been recorded, and before
 * tfjs filters its tape, every float32 tensor that several tape nodes read gets
 * one `GroupedGradientSum` node in front of its first reader: each use reads an
 * alias of the tensor instead (an id on the tape, no data), and the node's
 * gradient sums the aliases' gradients — in the order tfjs would have added
 * them, so the sums are the same numbers (on tensorflow, whose `AddN` adds in
 * an order of its own, the same within float32 rounding) — as one `AddN`, or
 * on webgpu one dispatch per seven terms. It costs no memory: tfjs frees the first gradient
 * when it adds the second (and keeps the others until the backward pass ends,
 * unless `backward_release.ts` frees them), and so does the sum node; only the
 * partial sums are gone.
 *
 * A pass over the tape (see `gradient_tape.ts`).
 */
import * as tf from "../tf.ts";
import { executionOptions } from "./execution_options.ts";
import type { EngineInternals, TapeNode, TapeTensor } from "./gradient_tape.ts";
import { defineOp } from "./op_kernels.ts";

/** The kernel name of the inserted tape nodes. */
const GROUPED_GRADIENT_SUM = "GroupedGradientSum";

/** What one walk of the tape learns about one tensor. */
interface TensorUses {
  tensor: TapeTensor;
  /** Whether the tensor leads to y. */
  leadsToY: boolean;
  /** Whether its producer has been passed (walking backwards). */
  produced: boolean;
  /** Its readers that lead to y, in the order backpropagation reaches them. */
  uses: { node: number; name: string }[];
}

/**
 * Rewrites `tape` in place: a `GroupedGradientSum` node in front of the
 * first reader of every float32 tensor that several nodes leading to `y` read,
 * the readers reading its aliases. Returns the number of nodes inserted.
 */
export function groupGradientSums(
  tape: TapeNode[],
  y: tf.Tensor,
  engine: EngineInternals,
): number {
  if (!executionOptions().groupedGradientSums) return 0;
  // One walk backwards, as backpropagation goes. Only nodes on a path to y
  // pass gradients back; that leaves out the clones tfjs records for saved
  // tensors. Readers recorded before a tensor's producer (none are known) are
  // left to tfjs' own adds.
  const seen = new Map<number, TensorUses>();
  const entry = (tensor: TapeTensor) => {
    let known = seen.get(tensor.id);
    if (!known) {
      known = { tensor, leadsToY: false, produced: false, uses: [] };
      seen.set(tensor.id, known);
    }
    return known;
  };
  entry(y).leadsToY = true;
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    let leads = false;
    for (const output of node.outputs) {
      const known = seen.get(output.id);
      if (!known) continue;
      known.produced = true;
      leads ||= known.leadsToY;
    }
    if (!leads) continue;
    for (const name in node.inputs) {
      const known = entry(node.inputs[name]);
      known.leadsToY = true;
      if (!known.produced && known.tensor.dtype === "float32") {
        known.uses.push({ node: i, name });
      }
    }
  }
  const sumsBefore: TapeNode[][] = [];
  const rewritten = new Set<number>();
  let inserted = 0;
  for (const { tensor, uses } of seen.values()) {
    if (uses.length < 2) continue;
    const aliases = uses.map((use) => {
      const alias: TapeTensor = {
        id: engine.nextTensorId(),
        shape: tensor.shape,
        dtype: tensor.dtype,
      };
      const node = tape[use.node];
      if (!rewritten.has(use.node)) {
        node.inputs = { ...node.inputs }; // the kernel's own map stays as it was
        rewritten.add(use.node);
      }
      node.inputs[use.name] = alias;
      return alias;
    });
    // Its gradients arrive in the order of `uses`: tfjs would add them so.
    const sum: TapeNode = {
      id: engine.state.nextTapeNodeId++,
      kernelName: GROUPED_GRADIENT_SUM,
      inputs: { x: tensor },
      outputs: aliases,
      saved: [],
      gradient: (dys) => ({
        x: () => {
          const terms = dys.filter((dy): dy is tf.Tensor => dy !== null);
          const total = sumInOrder(terms);
          // tfjs frees the first gradient when it adds the second (and keeps
          // the others until the backward pass ends): the same here.
          if (terms.length > 1) terms[0].dispose();
          return total;
        },
      }),
    };
    const first = uses[uses.length - 1].node;
    (sumsBefore[first] ??= []).push(sum);
    inserted++;
  }
  if (inserted === 0) return 0;
  const rest = tape.splice(0);
  rest.forEach((node, i) => {
    const sums = sumsBefore[i];
    if (sums) { for (const sum of sums) tape.push(sum); }
    tape.push(node);
  });
  return inserted;
}

/**
 * The op behind {@linkcode sumInOrder}: `((t₀ + t₁) + t₂) + …` for two terms or
 * more, the order of tfjs' pairwise accumulation. Portable: one `addN`; the
 * webgpu backend registers sums in as many dispatches as its bindings need.
 */
export const sumTermsInOrder = defineOp(
  "sumTermsInOrder",
  (terms: tf.Tensor[]): tf.Tensor => tf.addN(terms),
);

/** `((t₀ + t₁) + t₂) + …` of at least one term. */
function sumInOrder(terms: tf.Tensor[]): tf.Tensor {
  if (terms.length === 0) {
    throw new Error("sumInOrder: no gradient reached a grouped sum");
  }
  return terms.length === 1 ? terms[0] : sumTermsInOrder(terms);
}
