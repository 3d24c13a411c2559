import assert from "node:assert/strict";
import {
  checkDraws,
  type DrawEntry,
  replayCommand,
  twinPython,
  writeDraws,
} from "./parity_net.ts";
import { onEachBackend, parityFixturesDir } from "../testing/backends.ts";
import { parseSafetensors } from "../io/safetensors.ts";
import { GRADIENT_SPREAD_KEY } from "./summary.ts";

const python = await twinPython();
const DRAWS = 20;
const SEED = Number(Deno.env.get("PCDARTS_PARITY_NET_SEED") ?? 1);

Deno.test({
  name:
    `the parity net: ${DRAWS} float64 draws at random shapes from seed ${SEED} pass on every backend`,
  ignore: !python,
  async fn(t) {
    const out = await Deno.makeTempDir({ prefix: "parity-net-test-" });
    try {
      const entries: DrawEntry[] = await writeDraws({
        out,
        seed: SEED,
        count: DRAWS,
        reference: parityFixturesDir(),
      });
      assert.equal(entries.length, DRAWS);
      // Every primitive, ReLUConvBN, FactorizedReduce, the MixedOp at every K,
      // and both networks are among any 20 consecutive draws.
      const kinds = new Set(entries.map((e) => e.kind));
      for (
        const kind of [
          "primitive:sep_conv_5x5",
          "primitive:dil_conv_5x5",
          "primitive:max_pool_3x3",
          "relu_conv_bn",
          "factorized_reduce",
          "mixed_op:1",
          "mixed_op:2",
          "mixed_op:4",
          "mixed_op:8",
          "search_network",
          "eval_network",
        ]
      ) assert.ok(kinds.has(kind), `no ${kind} draw`);
      // Each draw records the twin's own float32 scatter per gradient tensor,
      // and holds every stored gradient to it.
      for (const e of entries) {
        const file = parseSafetensors(await Deno.readFile(e.file));
        const spread = JSON.parse(
          file.metadata[GRADIENT_SPREAD_KEY] ?? "null",
        ) as Record<string, number> | null;
        assert.ok(spread, `draw ${e.seed} records no ${GRADIENT_SPREAD_KEY}`);
        const gradients = [...file.tensors.keys()].filter((k) =>
          /(^|\.)(grad\.|arch_grad\.|dx$|dalpha$)/.test(k)
        );
        assert.ok(gradients.length > 0);
        assert.deepEqual(Object.keys(spread).sort(), gradients.sort());
        assert.equal(
          Math.max(...Object.values(spread)).toPrecision(2),
          e.float32_reference_gradient_error.toPrecision(2),
        );
      }
      console.log(
        entries.map((e) =>
          `draw ${e.seed}: ${e.kind} ${JSON.stringify(e.draw)}, float32 ${
            e.float32_reference_gradient_error.toExponential(1)
          }${e.redrawn.length ? ` (drawn ${e.redrawn.length + 1} times)` : ""}`
        ).join("\n"),
      );
      await onEachBackend(t, async (backend) => {
        const results = await checkDraws(entries);
        const failed = results.filter((r) => !r.ok);
        assert.deepEqual(
          failed.map((r) =>
            `draw ${r.entry.seed} (${r.entry.kind}): ours ${
              r.gradientError.toExponential(2)
            } against a bar of ${r.gradientBar.toExponential(1)} ${
              r.failures.join("; ")
            }; replay: ${replayCommand(r.entry.seed, backend)}`
          ),
          [],
        );
      });
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

if (!python) {
  console.warn(
    "parity net skipped: no Python with PyTorch (apt-get install python3-torch, or set PCDARTS_PYTHON)",
  );
}
