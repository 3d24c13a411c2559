/** Tolerances and the one-line verdict of a parity run. */
import type { ParityRow } from "./parity_row.ts";

/** Largest relative error allowed for outputs (float32 arithmetic meets it). */
export const OUTPUT_TOLERANCE = 1e-4;
/** Largest relative error allowed for gradients. */
export const GRADIENT_TOLERANCE = 1e-3;

/** The worst errors of a set of rows and whether they pass. */
export interface ParityVerdict {
  /** Largest output error (0 when there are none). */
  maxOutputError: number;
  /** Largest gradient error. */
  maxGradientError: number;
  /** Both under their tolerances (NaN fails). */
  ok: boolean;
}

/** Summarises rows against the tolerances. */
export function parityVerdict(rows: ParityRow[]): ParityVerdict {
  const worst = (kind: ParityRow["kind"]) =>
    rows.filter((r) => r.kind === kind).reduce(
      (
        max,
        r,
      ) => (Number.isNaN(r.relativeError)
        ? Infinity
        : Math.max(max, r.relativeError)),
      0,
    );
  const maxOutputError = worst("output");
  const maxGradientError = worst("gradient");
  return {
    maxOutputError,
    maxGradientError,
    ok: maxOutputError < OUTPUT_TOLERANCE &&
      maxGradientError < GRADIENT_TOLERANCE,
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
