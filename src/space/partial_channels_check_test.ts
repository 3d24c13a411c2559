import assert from "node:assert/strict";
import { checkPartialChannels } from "./partial_channels_check.ts";
import { resolveSearchConfig } from "../search/search_config.ts";

Deno.test("the paper's network splits for K = 1, 2, 4, 8 and 16", () => {
  for (const k of [1, 2, 4, 8, 16]) {
    checkPartialChannels({ channels: 16, layers: 8, partialChannels: k });
  }
});

Deno.test("channel counts that K cannot split are named with the cell", () => {
  assert.throws(
    () => checkPartialChannels({ channels: 6, layers: 8, partialChannels: 4 }),
    /cell 0 has 6 channels, not divisible by K=4/,
  );
  assert.throws(
    () => checkPartialChannels({ channels: 8, layers: 8, partialChannels: 16 }),
    /cell 0 has 8 channels, not divisible by K=16/,
  );
  // With 2 layers both cells reduce: cell 0 has 12 channels, 12/4 = 3 of them
  // processed, and the stride-2 skip connection needs an even count.
  assert.throws(
    () => checkPartialChannels({ channels: 6, layers: 2, partialChannels: 4 }),
    /reduction cell 0 processes 12\/4 = 3 channels/,
  );
});

Deno.test("a search configuration that K cannot split is rejected when resolved", () => {
  assert.throws(
    () => resolveSearchConfig("pcdarts", "paper", { channels: 6 }),
    /not divisible by K=4/,
  );
  assert.equal(
    resolveSearchConfig("darts1", "paper", { channels: 6 }).channels,
    6,
  );
});
