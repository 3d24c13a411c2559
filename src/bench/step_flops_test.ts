import assert from "node:assert/strict";
import { forwardMacsPerImage, searchStepFlops } from "./step_flops.ts";

Deno.test("a one-cell search network's step FLOPs, counted by hand", () => {
  // C=4, one (reduction) cell, K=4, 4x4 images. Stem 16·9·3·12 = 5,184;
  // preprocess 2 × 16·12·8 = 3,072; the 8 strided edges 928 each (sep 3x3
  // 176, sep 5x5 432, dil 3x3 88, dil 5x5 216, FactorizedReduce 16), the 6
  // others 912; classifier 32·10 = 320.
  const shape = {
    channels: 4,
    layers: 1,
    partialChannels: 4,
    batchSize: 1,
    imageSize: 4,
  };
  assert.equal(forwardMacsPerImage(shape), 21_472);
  // Five forwards' worth, less the stem's input gradient in both steps; ×2.
  assert.equal(searchStepFlops(shape), 2 * (5 * 21_472 - 2 * 5_184));
  assert.equal(
    searchStepFlops({ ...shape, batchSize: 32 }),
    32 * searchStepFlops(shape),
  );
});

Deno.test("the MixedOp's partial channels cut its convolutions' FLOPs", () => {
  const tiny = {
    channels: 8,
    layers: 5,
    batchSize: 32,
    imageSize: 16,
  };
  const k1 = searchStepFlops({ ...tiny, partialChannels: 1 });
  const k4 = searchStepFlops({ ...tiny, partialChannels: 4 });
  assert.ok(k4 < k1 / 3, `K=4 ${k4} against K=1 ${k1}`);
});
