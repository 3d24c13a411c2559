/**
 * Error messages for people: the messages some failures arrive with say little
 * about what went wrong, so the command-line tools pass every error through
 * {@linkcode explainError}.
 */

/** Messages with which the wasm backend reports an exhausted heap. */
const WASM_HEAP_EXHAUSTED =
  /memory access out of bounds|Cannot enlarge memory|Out of memory|Aborted\(OOM\)|Array buffer allocation failed/i;

/** The error's message, with what to do about it where we know. */
export function explainError(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  if (WASM_HEAP_EXHAUSTED.test(message)) {
    return `${message}: the backend ran out of memory (the wasm backend's heap ` +
      `is at most 4 GiB). Use --recompute-cells (about 45 % of the ` +
      `memory), a smaller --batch-size, or --backend cpu (no heap limit, slower)`;
  }
  return message;
}
