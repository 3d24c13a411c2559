import assert from "node:assert/strict";
import {
  CLAIM,
  claimChunk,
  claimWord,
  CONTROL_BYTES,
} from "./kernel_pool_protocol.ts";

Deno.test("a call's chunks are claimed once each, in order, then none", () => {
  const words = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
  Atomics.store(words, CLAIM, claimWord(7, 3));
  assert.deepEqual(
    [0, 1, 2, 3, 4].map(() => claimChunk(words, 7)),
    [0, 1, 2, -1, -1],
  );
});

Deno.test("a thread that woke for an earlier call claims none of the next call's chunks", () => {
  const words = new Int32Array(new SharedArrayBuffer(CONTROL_BYTES));
  Atomics.store(words, CLAIM, claimWord(8, 16));
  assert.equal(claimChunk(words, 7), -1);
  assert.equal(claimChunk(words, 8), 0);
  // Only the low 15 bits of a sequence number are compared.
  Atomics.store(words, CLAIM, claimWord(0x8001, 2));
  assert.equal(claimChunk(words, 0x8001), 0);
  assert.equal(claimChunk(words, 0x10001), 1);
});
