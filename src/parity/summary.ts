/** Tolerances and the one-line verdict of a parity run. */
import type { ParityRow } from "./parity_row.ts";

/** Largest relative error allowed for outputs (float32 arithmetic meets it). */
export const OUTPUT_TOLERANCE = 1e-4;
/** Largest relative error allowed for gradients against a float32 reference. */
export const GRADIENT_TOLERANCE = 1e-3;
/** The floor of the bars against a float64 reference. */
export const FLOAT64_TOLERANCE = 1e-4;
/** How many times the reference's own float32 error a float64 fixture allows. */
export const REFERENCE_ERROR_FACTOR = 10;

/** The bars a fixture is held to, and where they come from. */
export interface FixtureTolerances {
  /** Bar for outputs. */
  output: number;
  /** Bar for gradients. */
  gradient: number;
  /**
   * For a fixture computed in float64: how far the reference's own float32
   * computation of the same draw lands from it (outputs, gradients).
   */
  reference?: { output?: number; gradient: number };
}

/**
 * The bars of a fixture from its `__metadata__`. A float64 fixture that records
 * the reference's float32 error `e` (`float32_reference_gradient_error`, and
 * `float32_reference_output_error` where given) holds ours to
 * max(1e-4, 10·e) for each kind; any other fixture to 1e-4 (outputs) and 1e-3
 * (gradients). A float64 fixture without the figure is held to 1e-4 for both.
 */
export function fixtureTolerances(
  metadata: Record<string, string>,
): FixtureTolerances {
  if (metadata.computed_in !== "float64") {
    return { output: OUTPUT_TOLERANCE, gradient: GRADIENT_TOLERANCE };
  }
  const recorded = (key: string) => {
    if (metadata[key] === undefined) return undefined;
    const value = Number(metadata[key]);
    if (!Number.isFinite(value) || value < 0) {
      throw new Error(
        `the fixture's __metadata__.${key} is not a non-negative number: ${
          metadata[key]
        }`,
      );
    }
    return value;
  };
  const output = recorded("float32_reference_output_error");
  const gradient = recorded("float32_reference_gradient_error");
  const bar = (e: number | undefined) =>
    Math.max(FLOAT64_TOLERANCE, REFERENCE_ERROR_FACTOR * (e ?? 0));
  return {
    output: bar(output),
    gradient: bar(gradient),
    reference: gradient === undefined ? undefined : { output, gradient },
  };
}

/**
 * The per-tensor bars of a float64 fixture: `__metadata__[key]` maps a stored
 * name to the reference's own float32 scatter `s` on it, and that tensor is held
 * to max(1e-4, 10·s). A name the map lacks gets `fallback`. Null when the
 * fixture has no such map.
 */
export function perTensorBars(
  metadata: Record<string, string>,
  key: string,
  fallback: number,
): ((name: string) => number) | null {
  const text = metadata[key];
  if (text === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`the fixture's __metadata__.${key} is not JSON`);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new Error(
      `the fixture's __metadata__.${key} is not a map of tensor names to numbers`,
    );
  }
  const spreads = new Map<string, number>();
  for (const [name, value] of Object.entries(parsed)) {
    if (typeof value !== "number" || !(value >= 0)) {
      throw new Error(
        `the fixture's __metadata__.${key}["${name}"] is not a non-negative number: ${value}`,
      );
    }
    spreads.set(name, value);
  }
  return (name) => {
    const spread = spreads.get(name);
    return spread === undefined
      ? fallback
      : Math.max(FLOAT64_TOLERANCE, REFERENCE_ERROR_FACTOR * spread);
  };
}

/** The metadata key of a float64 fixture's per-gradient-tensor float32 scatter. */
export const GRADIENT_SPREAD_KEY = "float32_reference_gradient_spread";

/**
 * The bar of each gradient tensor of a fixture, by stored name (`grad.<name>`,
 * `arch_grad.<name>`): max(1e-4, 10 × its own spread where the fixture records
 * {@linkcode GRADIENT_SPREAD_KEY}; else, and for a tensor the map lacks, the
 * fixture's gradient bar (`fixtureTolerances`).
 */
export function gradientBars(
  metadata: Record<string, string>,
): (name: string) => number {
  const scalar = fixtureTolerances(metadata).gradient;
  return perTensorBars(metadata, GRADIENT_SPREAD_KEY, scalar) ?? (() => scalar);
}

/**
 * One gradient row for many tensors: the one worst against its own bar, named
 * in the check (`<label> (worst of N by ratio to its bar: <name>)`).
 */
export function worstTensorRow(
  label: string,
  tensors: { name: string; error: number }[],
  bar: (name: string) => number,
): ParityRow {
  const worst = worstByRatio(tensors.map((t) => ({
    check: t.name,
    kind: "gradient" as const,
    relativeError: t.error,
    limit: bar(t.name),
  })));
  if (!worst) throw new Error(`${label}: no tensors compared`);
  return {
    check: `${label} (worst of ${tensors.length} by ratio to its bar: ${
      worst.row.check.replace(/^(arch_)?grad\./, "")
    })`,
    kind: "gradient",
    relativeError: worst.row.relativeError,
    limit: worst.row.limit,
  };
}

/** The row whose error is largest against its bar, with that ratio; null for none. */
export function worstByRatio(
  rows: ParityRow[],
): { row: ParityRow; ratio: number } | null {
  let worst: { row: ParityRow; ratio: number } | null = null;
  for (const row of rows) {
    const ratio = Number.isNaN(row.relativeError)
      ? Infinity
      : row.relativeError / rowLimit(row);
    if (!worst || ratio > worst.ratio) worst = { row, ratio };
  }
  return worst;
}

/** The bar of one row: its own, else its kind's default. */
export function rowLimit(row: ParityRow): number {
  return row.limit ??
    (row.kind === "output" ? OUTPUT_TOLERANCE : GRADIENT_TOLERANCE);
}

/** The worst errors of a set of rows and whether they pass. */
export interface ParityVerdict {
  /** Largest output error (0 when there are none). */
  maxOutputError: number;
  /** Largest gradient error. */
  maxGradientError: number;
  /** Every row under its bar (NaN fails). */
  ok: boolean;
}

/** Summarises rows against their bars. */
export function parityVerdict(rows: ParityRow[]): ParityVerdict {
  const worst = (kind: ParityRow["kind"]) =>
    rows.filter((r) => r.kind === kind).reduce(
      (max, r) =>
        Number.isNaN(r.relativeError)
          ? Infinity
          : Math.max(max, r.relativeError),
      0,
    );
  return {
    maxOutputError: worst("output"),
    maxGradientError: worst("gradient"),
    ok: rows.every((r) => r.relativeError < rowLimit(r)),
  };
}

/** `parity: max relative error X (outputs), Y (gradients): ok|FAILED`. */
export function verdictLine(
  verdict: ParityVerdict,
  failures: string[],
): string {
  const ok = verdict.ok && failures.length === 0;
  return `parity: max relative error ${
    verdict.maxOutputError.toExponential(2)
  } (outputs), ${verdict.maxGradientError.toExponential(2)} (gradients): ${
    ok ? "ok" : "FAILED"
  }`;
}
