/** One compared quantity of a parity check. */
export interface ParityRow {
  /** What was compared, e.g. `sep_conv_3x3.s2 d/dx`. */
  check: string;
  /** Outputs are held to 1e-4, gradients to 1e-3. */
  kind: "output" | "gradient";
  /** ‖ours − reference‖ / ‖reference‖. */
  relativeError: number;
}
