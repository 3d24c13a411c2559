/**
 * How (not what) the ops compute, as one typed object. Each option has been
 * checked to give the same numbers on and off (the ops' tests); they exist for
 * A/B measurements. The ops read the options in force from here, and nothing
 * else holds a switch of its own. A run records the options it ran with in its
 * `config.json`, and every benchmark row in its `execution` column.
 *
 * This file holds the options every backend shares. A backend's own options
 * live in its folder: it adds their fields to {@linkcode ExecutionOptions}
 * (TypeScript's declaration merging) and registers their defaults, their
 * check and their part of the label with
 * {@linkcode registerExecutionOptions}.
 */

/** How the ops compute (the backends' units add their own fields). */
export interface ExecutionOptions {
  /** A tensor's gradient contributions summed 7 to a kernel. */
  groupedGradientSums: boolean;
  /** Upstream gradients and saved tensors freed as the backward pass goes. */
  backwardRelease: boolean;
}

/** One backend's options: defaults, check and label. */
export interface ExecutionOptionGroup {
  /** The backend that reads them. */
  readonly owner: string;
  /** Their values when a process starts. */
  readonly defaults: Partial<ExecutionOptions>;
  /** Throws, naming the option, for a value it cannot take. */
  check?(options: ExecutionOptions): void;
  /** The names of its switches that are on, for the label. */
  switchesOn(options: ExecutionOptions): string[];
  /** Its settings that are not switches, for the label ("chunk 4096"). */
  settings(options: ExecutionOptions): string[];
}

const SHARED: ExecutionOptionGroup = {
  owner: "every backend",
  defaults: { groupedGradientSums: true, backwardRelease: true },
  switchesOn: (o) =>
    [o.groupedGradientSums && "grouped", o.backwardRelease && "release"]
      .filter((s): s is string => typeof s === "string"),
  settings: () => [],
};

const groups: ExecutionOptionGroup[] = [];
let defaults: Readonly<ExecutionOptions> = Object.freeze({
  ...SHARED.defaults,
} as ExecutionOptions);
let current: Readonly<ExecutionOptions> = defaults;
const listeners: ((options: Readonly<ExecutionOptions>) => void)[] = [];

/**
 * Adds a backend's options (its unit calls this once, when its module loads):
 * their defaults join the defaults and the options in force.
 */
export function registerExecutionOptions(group: ExecutionOptionGroup): void {
  if (groups.includes(group)) return;
  const taken = Object.keys(group.defaults).filter((k) => k in defaults);
  if (taken.length > 0) {
    throw new Error(
      `${group.owner}: execution option ${taken.join(", ")} is declared twice`,
    );
  }
  groups.push(group);
  defaults = Object.freeze({ ...defaults, ...group.defaults });
  current = Object.freeze({ ...group.defaults, ...current });
}

/**
 * The options a process starts with: everything on, and each backend's
 * settings at their defaults (see each backend's options file).
 */
export function defaultExecutionOptions(): Readonly<ExecutionOptions> {
  return defaults;
}

/** The options in force (read-only; change them with {@linkcode setExecutionOptions}). */
export function executionOptions(): Readonly<ExecutionOptions> {
  return current;
}

/** A copy of the options in force now. */
export function currentExecutionOptions(): ExecutionOptions {
  return { ...current };
}

/**
 * Calls `listener` whenever the options change (a backend that holds state
 * derived from them, such as the webgpu submission batch size).
 */
export function onExecutionOptionsChange(
  listener: (options: Readonly<ExecutionOptions>) => void,
): void {
  if (!listeners.includes(listener)) listeners.push(listener);
}

/** Applies the given options; returns all of them as they were before. */
export function setExecutionOptions(
  options: Partial<ExecutionOptions>,
): ExecutionOptions {
  const before = currentExecutionOptions();
  const next = { ...before, ...options };
  for (const group of groups) group.check?.(next);
  current = Object.freeze(next);
  for (const listener of listeners) listener(current);
  return before;
}

/**
 * Runs `fn` under `options`, then restores the options before it.
 *
 * @example
 * ```ts
 * import { withExecutionOptions } from "./mod.ts";
 * // The same numbers, computed by tfjs' kernels instead of our SIMD ones.
 * await withExecutionOptions({ simdKernels: false }, () => {});
 * ```
 */
export async function withExecutionOptions<T>(
  options: Partial<ExecutionOptions>,
  fn: () => Promise<T> | T,
): Promise<T> {
  const before = setExecutionOptions(options);
  try {
    return await fn();
  } finally {
    setExecutionOptions(before);
  }
}

/**
 * The options in one CSV cell: the switches that are on (each backend's, then
 * the shared ones), then the backends' settings
 * (`simd+programs+batched+reuse+grouped+release, threads 2, chunk 4096`).
 */
export function executionLabel(o: ExecutionOptions): string {
  // By owner, so that the label does not depend on the order units load in.
  const all = [
    ...[...groups].sort((a, b) => a.owner.localeCompare(b.owner)),
    SHARED,
  ];
  const on = all.flatMap((g) => g.switchesOn(o));
  const settings = all.flatMap((g) => g.settings(o));
  return [on.join("+") || "none", ...settings].join(", ");
}
