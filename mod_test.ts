import assert from "node:assert/strict";
import * as pcdarts from "./mod.ts";
import * as tf from "./src/tf.ts";

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
  const x = tf.tensor4d([0, 1, 2, 3, 4, 5, 6, 7], [1, 1, 1, 8]);
  const y = pcdarts.channelShuffle(x, 4);
  assert.deepEqual(Array.from(await y.data()), [0, 2, 4, 6, 1, 3, 5, 7]);
  tf.dispose([x, y]);
});

Deno.test("deno doc --lint finds nothing in mod.ts: every export documented, no private type in a public signature", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", new URL("./mod.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr) +
    new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, text);
});
