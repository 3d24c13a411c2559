/** One compared quantity of a parity check. */
export interface ParityRow {
  /** What was compared, e.g. `sep_conv_3x3.s2 d/dx`. */
  check: string;
  /** Outputs and gradients are held to different bars (see `summary.ts`). */
  kind: "output" | "gradient";
  /** ‖ours − reference‖ / ‖reference‖. */
  relativeError: number;
  /** The largest relative error that passes; the kind's default bar when absent. */
  limit?: number;
}
