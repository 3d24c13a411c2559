/**
 * The backends, in one table: everything outside `src/backends/` that depends
 * on which backend runs asks the unit found here.
 */
import * as tf from "../tf.ts";
import type { BackendUnit } from "./backend_unit.ts";
import { CPU_BACKEND } from "./cpu/unit.ts";
import { TENSORFLOW_BACKEND } from "./tensorflow/unit.ts";
import { WASM_BACKEND } from "./wasm/unit.ts";
import { WEBGPU_BACKEND } from "./webgpu/unit.ts";

/** Every backend, cheapest to start first (the order tests run them in). */
export const BACKEND_UNITS: readonly BackendUnit[] = [
  CPU_BACKEND,
  WASM_BACKEND,
  WEBGPU_BACKEND,
  TENSORFLOW_BACKEND,
];

/** Every backend by `auto`'s rank; those `auto` never chooses last. */
const BY_AUTO_RANK: readonly BackendUnit[] = [...BACKEND_UNITS].sort((a, b) =>
  (a.autoRank ?? Infinity) - (b.autoRank ?? Infinity)
);

/** The names `--backend` takes: `auto`, then every backend by `auto`'s rank. */
export const BACKENDS: readonly string[] = [
  "auto",
  ...BY_AUTO_RANK.map((u) => u.name),
];

/** `--backend`'s values as a flag's value text: `auto|tensorflow|...`. */
export const BACKEND_CHOICES: string = BACKENDS.join("|");

/** `--backend`'s values in words: `auto, tensorflow, ... or cpu`. */
export const BACKEND_CHOICES_TEXT: string = `${
  BACKENDS.slice(0, -1).join(", ")
} or ${BACKENDS.at(-1)}`;

/**
 * The backends that take work the default cannot hold, as advice: for each
 * that needs setting up, `--backend tensorflow` where it is set up, else
 * `set up the tensorflow backend (\`deno task setup tensorflow\`, then
 * --backend tensorflow)`.
 */
export async function largerBackendAdvice(): Promise<string[]> {
  const out: string[] = [];
  for (const unit of BACKEND_UNITS) {
    if (unit.setupCommand === undefined) continue;
    out.push(
      (await unit.availability()).available
        ? `--backend ${unit.name}`
        : `set up the ${unit.name} backend (\`${unit.setupCommand}\`, then --backend ${unit.name})`,
    );
  }
  return out;
}

/** The backend the command-line tools start without `--backend`. */
export const DEFAULT_BACKEND = WASM_BACKEND.name;

/** One of {@linkcode BACKENDS}. */
export type BackendName = string;

/** The unit of the backend named `name`; throws naming the choices. */
export function backendUnit(name: string): BackendUnit {
  const unit = BACKEND_UNITS.find((u) => u.name === name);
  if (unit === undefined) {
    throw new Error(
      `unknown backend "${name}"; choose one of ${BACKENDS.join(", ")}`,
    );
  }
  return unit;
}

/** The unit of the backend tfjs runs now. */
export function activeBackend(): BackendUnit {
  return backendUnit(tf.getBackend());
}

/** The backends that can start on this machine, in table order. */
export async function availableBackends(): Promise<BackendUnit[]> {
  const out: BackendUnit[] = [];
  for (const unit of BACKEND_UNITS) {
    if ((await unit.availability()).available) out.push(unit);
  }
  return out;
}

/**
 * What `auto` starts: the best-ranked backend that is available and worth it
 * here (tensorflow if it loads, else webgpu on a hardware GPU, else wasm).
 */
export async function autoBackend(): Promise<BackendUnit> {
  for (const unit of BY_AUTO_RANK.filter((u) => u.autoRank !== undefined)) {
    if (
      (await unit.availability()).available && await unit.autoWorthy()
    ) return unit;
  }
  return WASM_BACKEND;
}

/**
 * Throws if the active backend's device reported an error since the last check
 * (a GPU's failed dispatch, which would otherwise leave garbage behind).
 */
export function throwOnBackendErrors(where: string): void {
  activeBackend().throwOnErrors?.(where);
}

/** The errors the active backend's device reported since the last call. */
export function takeBackendErrors(): string[] {
  return activeBackend().takeErrors?.() ?? [];
}

/** Dispatches of our programs so far on the active backend (0 where none). */
export function programDispatchCount(): number {
  return activeBackend().programDispatchCount?.() ?? 0;
}

/**
 * The error's message, with what to do about it where a backend knows: the
 * messages some failures arrive with say little about what went wrong, so the
 * command-line tools pass every error through this.
 */
export function explainError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  for (const unit of BACKEND_UNITS) {
    const explained = unit.explainError?.(message);
    if (explained !== undefined) return explained;
  }
  return message;
}
