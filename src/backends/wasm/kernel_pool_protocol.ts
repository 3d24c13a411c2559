/**
 * The shared control block between the kernel pool (`kernel_pool.ts`) and its
 * workers (`kernel_pool_worker.ts`), and the claim of a call's chunks.
 *
 * A call is a list of chunks (argument lists over disjoint parts of the
 * output). The calling thread and every worker claim chunks one at a time
 * until none is left, so a worker that wakes late, or runs slower, takes
 * fewer: no thread waits on another's share. Which thread runs a chunk does
 * not change its elements' bits.
 *
 * The claim word packs the call's sequence number (low 15 bits), its chunk
 * count (8 bits) and the next chunk index (8 bits), so that one
 * compare-exchange both checks that the claim belongs to the call the thread
 * woke for and takes the index: a worker that wakes after its call ended finds
 * another sequence (or the index at the count) and claims nothing.
 */

/** Int32 word: the call's sequence number, bumped per call; negative: stop. */
export const SEQUENCE = 0;
/** Int32 word: sequence (15 bits) · chunk count (8 bits) · next index (8 bits). */
export const CLAIM = 1;
/** Int32 word: chunks finished in the current call. */
export const DONE = 2;
/** Int32 word: the kernel's index among the pool's names. */
export const KERNEL = 3;
/** Int32 word: arguments per chunk. */
export const ARGUMENT_COUNT = 4;
/** Int32 word: nonzero when a chunk threw in a worker. */
export const FAILED = 5;

/** Int32 words before the arguments. */
export const WORDS = 8;
/** The most chunks a call may have. */
export const MAX_CHUNKS = 16;
/** The most arguments a kernel takes. */
export const MAX_ARGUMENTS = 16;

/** Bytes of the control block: the words, then the chunks' float64 arguments. */
export const CONTROL_BYTES = 4 * WORDS + 8 * MAX_CHUNKS * MAX_ARGUMENTS;

/** The claim word of call `sequence` with `count` chunks, none taken. */
export function claimWord(sequence: number, count: number): number {
  return ((sequence & 0x7fff) << 16) | (count << 8);
}

/**
 * Takes the next chunk of call `sequence`: its index, or -1 when the call has
 * none left (or has ended). Safe to race from every thread.
 */
export function claimChunk(words: Int32Array, sequence: number): number {
  for (;;) {
    const word = Atomics.load(words, CLAIM);
    if (word >>> 16 !== (sequence & 0x7fff)) return -1;
    const index = word & 0xff;
    if (index >= ((word >>> 8) & 0xff)) return -1;
    if (Atomics.compareExchange(words, CLAIM, word, word + 1) === word) {
      return index;
    }
  }
}

/** The control block's Int32 words and its chunks' float64 arguments. */
export function controlViews(
  control: SharedArrayBuffer,
): { words: Int32Array; args: Float64Array } {
  return {
    words: new Int32Array(control, 0, WORDS),
    args: new Float64Array(control, 4 * WORDS, MAX_CHUNKS * MAX_ARGUMENTS),
  };
}

/** Writes the arguments of chunk `index` into the control block. */
export function setChunkArguments(
  args: Float64Array,
  index: number,
  values: number[],
): void {
  args.set(values, index * MAX_ARGUMENTS);
}

/** The arguments of chunk `index` from the control block. */
export function chunkArguments(
  words: Int32Array,
  args: Float64Array,
  index: number,
): number[] {
  const count = words[ARGUMENT_COUNT];
  const values: number[] = new Array(count);
  for (let i = 0; i < count; i++) values[i] = args[index * MAX_ARGUMENTS + i];
  return values;
}
