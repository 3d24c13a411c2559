import assert from "node:assert/strict";
import { twinPython } from "../parity_net.ts";
import { parityFixturesDir } from "../fixtures_dir.ts";

const python = await twinPython();
const shared = parityFixturesDir();

Deno.test({
  name:
    "the PyTorch twin of the search network passes the reference fixtures, the ImageNet stem's included",
  ignore: !python || !shared,
  async fn() {
    const script = new URL("./reference_model.py", import.meta.url).pathname;
    const out = await new Deno.Command(python!, {
      args: [script, "check", shared!],
    }).output();
    const text = new TextDecoder().decode(out.stdout);
    assert.ok(out.success, text + new TextDecoder().decode(out.stderr));
    const lines = text.trim().split("\n");
    for (
      const name of [
        "network_pcdarts",
        "network_darts",
        "network_pcdarts_imagenet",
      ]
    ) {
      const line = lines.find((l) => l.startsWith(`${name}:`));
      assert.ok(line, `no line for ${name} in:\n${text}`);
      assert.match(line, /genotype equal: ok$/);
    }
  },
});
