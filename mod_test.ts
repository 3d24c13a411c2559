import assert from "node:assert/strict";
import * as pcdarts from "./mod.ts";

Deno.test("mod.ts loads and exports the search, the backends and the parity checks", async () => {
  for (
    const name of [
      "initBackend",
      "SearchNetwork",
      "MixedOp",
      "channelShuffle",
      "PRIMITIVES",
      "checkFixture",
    ]
  ) {
    assert.ok(name in pcdarts, `mod.ts exports no ${name}`);
  }
  await pcdarts.initBackend("cpu");
  const x = pcdarts.tf.tensor4d([0, 1, 2, 3, 4, 5, 6, 7], [1, 1, 1, 8]);
  const y = pcdarts.channelShuffle(x, 4);
  assert.deepEqual(Array.from(await y.data()), [0, 2, 4, 6, 1, 3, 5, 7]);
  pcdarts.tf.dispose([x, y]);
});
