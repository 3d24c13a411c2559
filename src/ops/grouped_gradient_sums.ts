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
 * them, so the sums are the same numbers — as one `AddN`, or on webgpu one
 * dispatch per seven terms. Memory stays as it was: tfjs frees the first
 * gradient when it adds the second and keeps the others until the backward
 * pass ends, and so does the sum node; only the partial sums are gone.
 *
 * This relies on the layout of tfjs-core 4.22's tape (`engine.state.activeTape`,
 * nodes with `inputs`, `outputs` and `gradient`); `installGroupedGradientSums`
 * checks that layout once and leaves tfjs alone when it differs.
 */
import * as tf from "../tf.ts";
import {
  elementProgram,
  runProgram,
  webGpuProgramsActive,
} from "./webgpu/webgpu_programs.ts";

/** A tensor as the tape sees it: an id, a shape and a dtype. */
interface TapeTensor {
  id: number;
  shape: number[];
  dtype: string;
}

/** One recorded kernel of tfjs' tape. */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, TapeTensor>;
  outputs: TapeTensor[];
  saved?: tf.Tensor[];
  gradient?: (
    dys: (tf.Tensor | null)[],
  ) => Record<string, () => tf.Tensor>;
}

/** The parts of tfjs' engine this module uses. */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; nextTapeNodeId: number };
  nextTensorId(): number;
  gradients(
    f: () => tf.Tensor,
    xs: tf.Tensor[],
    dy?: tf.Tensor,
    allowNoGradients?: boolean,
  ): { value: tf.Tensor; grads: tf.Tensor[] };
}

/** The kernel name of the inserted tape nodes. */
export const GROUPED_GRADIENT_SUM = "GroupedGradientSum";

/** Most inputs one webgpu dispatch binds (the default limit is 8 buffers). */
const TERMS_PER_DISPATCH = 7;
const NAMES = ["a", "b", "c", "d", "e", "f", "g"];

let grouping = true;
let installed = false;

/**
 * Turns the grouping on or off (for A/B measurements and tests); returns the
 * previous setting.
 */
export function setGroupedGradientSums(on: boolean): boolean {
  const before = grouping;
  grouping = on;
  return before;
}

/** Whether gradient computations sum each tensor's gradients in one pass. */
export function groupedGradientSumsEnabled(): boolean {
  return grouping && installed;
}

/**
 * Wraps tfjs' `engine.gradients` (which `tf.grad`, `tf.variableGrads` and the
 * recomputed cells call) so that each gradient computation groups its sums.
 * Idempotent; called when a backend starts.
 */
export function installGroupedGradientSums(): void {
  if (installed) return;
  const engine = tf.engine() as unknown as EngineInternals;
  if (
    typeof engine.gradients !== "function" ||
    typeof engine.nextTensorId !== "function" ||
    typeof engine.state?.nextTapeNodeId !== "number"
  ) {
    return; // another tfjs layout: leave its pairwise sums alone
  }
  const original = engine.gradients.bind(engine);
  engine.gradients = (f, xs, dy, allowNoGradients) =>
    original(
      () => {
        const from = engine.state.activeTape?.length ?? 0;
        const y = f();
        const tape = engine.state.activeTape;
        if (grouping && tape) groupGradientSums(tape, from, y, engine);
        return y;
      },
      xs,
      dy,
      allowNoGradients,
    );
  installed = true;
}

/**
 * Rewrites `tape[from…]` in place: a `GroupedGradientSum` node in front of the
 * first reader of every float32 tensor that several nodes leading to `y` read,
 * the readers reading its aliases. Returns the number of nodes inserted.
 */
function groupGradientSums(
  tape: TapeNode[],
  from: number,
  y: tf.Tensor,
  engine: EngineInternals,
): number {
  // Only nodes on a path to y pass gradients back. That leaves out the clones
  // tfjs records for saved tensors, which come before the kernel whose output
  // they save.
  const leadsToY = new Set<number>([y.id]);
  const readers = new Set<number>();
  const producer = new Map<number, number>();
  for (let i = tape.length - 1; i >= from; i--) {
    const node = tape[i];
    for (const output of node.outputs) producer.set(output.id, i);
    if (!node.outputs.some((output) => leadsToY.has(output.id))) continue;
    readers.add(i);
    for (const name in node.inputs) leadsToY.add(node.inputs[name].id);
  }
  const uses = new Map<number, { node: number; name: string }[]>();
  const tensors = new Map<number, TapeTensor>();
  for (let i = from; i < tape.length; i++) {
    if (!readers.has(i)) continue;
    for (const name in tape[i].inputs) {
      const tensor = tape[i].inputs[name];
      if (tensor.dtype !== "float32") continue;
      tensors.set(tensor.id, tensor);
      const list = uses.get(tensor.id);
      if (list) list.push({ node: i, name });
      else uses.set(tensor.id, [{ node: i, name }]);
    }
  }
  const sumsBefore = new Map<number, TapeNode[]>();
  const rewritten = new Set<number>();
  let inserted = 0;
  for (const [id, list] of uses) {
    if (list.length < 2) continue;
    // The sum must come after the tensor's producer (always so for readers).
    if ((producer.get(id) ?? -1) >= list[0].node) continue;
    const tensor = tensors.get(id)!;
    // tfjs adds the gradients as backpropagation produces them: later readers
    // first, and a reader's inputs in their order (a stable sort keeps it).
    const produced = [...list].sort((a, b) => b.node - a.node);
    const aliases = produced.map((use) => {
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
    const first = list[0].node;
    const before = sumsBefore.get(first);
    if (before) before.push(sum);
    else sumsBefore.set(first, [sum]);
    inserted++;
  }
  if (inserted === 0) return 0;
  const rest = tape.splice(from);
  rest.forEach((node, i) => {
    for (const sum of sumsBefore.get(from + i) ?? []) tape.push(sum);
    tape.push(node);
  });
  return inserted;
}

/**
 * `((t₀ + t₁) + t₂) + …`, the order of tfjs' pairwise accumulation, in as few
 * kernels as the backend allows.
 */
export function sumInOrder(terms: tf.Tensor[]): tf.Tensor {
  if (terms.length === 0) {
    throw new Error("sumInOrder: no gradient reached a grouped sum");
  }
  if (terms.length === 1) return terms[0];
  const chunked = tf.getBackend() === "webgpu";
  let total = terms[0];
  let next = 1;
  while (next < terms.length) {
    const count = chunked
      ? Math.min(TERMS_PER_DISPATCH - 1, terms.length - next)
      : terms.length - next;
    const group = [total, ...terms.slice(next, next + count)];
    const partial = total;
    total = chunked && webGpuProgramsActive()
      ? sumWebGpu(group)
      : tf.addN(group);
    if (partial !== terms[0]) partial.dispose();
    next += count;
  }
  return total;
}

/** Up to seven same-shape tensors summed left to right in one dispatch. */
function sumWebGpu(terms: tf.Tensor[]): tf.Tensor {
  const names = NAMES.slice(0, terms.length);
  return runProgram(
    elementProgram({
      shaderKey: `pcdarts_sum_in_order_${terms.length}`,
      outputShape: terms[0].shape,
      variableNames: names,
      body: `var total = ${names[0]}[index];
        ${
        names.slice(1).map((name) => `total = total + ${name}[index];`).join(
          "\n        ",
        )
      }
        result[index] = total;`,
    }),
    terms,
  );
}
