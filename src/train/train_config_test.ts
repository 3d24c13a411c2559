import assert from "node:assert/strict";
import { resolveTrainConfig } from "./train_config.ts";
import { resolveSearchConfig } from "../search/search_config.ts";

Deno.test("the cpu size trains on 16-pixel images without the auxiliary head, on all test images", () => {
  const c = resolveTrainConfig("cpu", "DARTS_V2");
  assert.equal(c.imageSide, 16);
  assert.equal(c.auxiliary, false);
  assert.equal(c.testSubset, null);
  assert.equal(resolveTrainConfig("paper", "DARTS_V2").imageSide, null);
});

Deno.test("the auxiliary head on smaller images is refused with the flag to change", () => {
  assert.throws(
    () => resolveTrainConfig("cpu", "DARTS_V2", { auxiliary: true }),
    /auxiliary head expects the 8×8 maps of 32-pixel images.*--auxiliary false/,
  );
  assert.throws(
    () => resolveTrainConfig("paper", "DARTS_V2", { imageSide: 2.5 }),
    /--image-side must be an integer/,
  );
});

Deno.test("the cpu search gives every method batch 64 and scales pcdarts' warm-up with the epochs", () => {
  const pc = resolveSearchConfig("pcdarts", "cpu");
  const d2 = resolveSearchConfig("darts2", "cpu");
  assert.equal(pc.imageSide, 16);
  assert.equal(pc.batchSize, 64);
  assert.equal(pc.learningRate, 0.1);
  assert.equal(d2.batchSize, 64);
  assert.equal(pc.warmupEpochs, Math.round((15 * pc.epochs) / 50));
  assert.equal(d2.warmupEpochs, 0);
  assert.throws(
    () => resolveSearchConfig("darts1", "cpu", { imageSide: 1 }),
    /--image-side must be an integer of at least 4/,
  );
});
