/**
 * Our ops' kernels, registered per backend as tfjs registers its own. An op is
 * defined once ({@linkcode defineOp}) with its portable implementation: tfjs
 * ops with their gradients, right on every backend. A backend's module
 * registers faster kernels for it when that backend starts
 * (`registerBackendOpKernels`, from `initBackend`). A call runs the active
 * backend's kernels in registration order; a kernel answers {@linkcode PASS}
 * where it does not apply (a dtype, a size, an execution option that is off),
 * and the next one, or the portable implementation, runs instead. This module
 * is the only place outside the backends' own folders that asks which backend
 * is active.
 */
import * as tf from "../tf.ts";

// deno-lint-ignore no-explicit-any
type Fn = (...args: any[]) => any;

/** What a kernel answers where it does not apply. */
export const PASS: unique symbol = Symbol("pass");

/** A backend's kernel for an op: the op's result, or {@linkcode PASS}. */
export type OpKernel<F extends Fn> = (
  ...args: Parameters<F>
) => ReturnType<F> | typeof PASS;

/** An op defined by {@linkcode defineOp}: callable as its portable function. */
export type Op<F extends Fn> = F & { readonly opName: string };

/** Per op name, per backend name, the kernels in registration order. */
const registry = new Map<string, Map<string, Fn[]>>();

/** Defines the op `opName` with its portable implementation. */
export function defineOp<F extends Fn>(opName: string, portable: F): Op<F> {
  if (registry.has(opName)) throw new Error(`op ${opName} is defined twice`);
  const byBackend = new Map<string, Fn[]>();
  registry.set(opName, byBackend);
  const op = (...args: Parameters<F>): ReturnType<F> => {
    const kernels = byBackend.get(tf.engine().backendName);
    if (kernels !== undefined) {
      for (const kernel of kernels) {
        const result = kernel(...args);
        if (result !== PASS) return result;
      }
    }
    return portable(...args);
  };
  Object.defineProperty(op, "name", { value: opName });
  return Object.assign(op, { opName }) as unknown as Op<F>;
}

/** Registers `kernel` for `op` on the backend named `backend`, after any before it. */
export function registerOpKernel<F extends Fn>(
  op: Op<F>,
  backend: string,
  kernel: OpKernel<F>,
): void {
  const byBackend = registry.get(op.opName);
  if (byBackend === undefined) {
    throw new Error(`registerOpKernel: ${op.opName} is not a defined op`);
  }
  const kernels = byBackend.get(backend) ?? [];
  kernels.push(kernel);
  byBackend.set(backend, kernels);
}

/** The names of the ops with kernels registered for `backend`. */
export function opsWithKernels(backend: string): string[] {
  return [...registry].filter(([, byBackend]) =>
    (byBackend.get(backend)?.length ?? 0) > 0
  ).map(([name]) => name);
}
