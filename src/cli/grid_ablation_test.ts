import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { runCli } from "../testing/cli_command.ts";

const dataDir = Deno.env.get("PCDARTS_DATA_DIR");

Deno.test({
  name:
    "an ablation manifest planned from flags carries each row's K, edge normalization, batch and learning rate into its search's config.json",
  ignore: dataDir === undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "ablation-test-" });
    try {
      const base = [
        "plan",
        "--out",
        dir,
        "--size",
        "smoke",
        "--seeds",
        "1",
        "--methods",
        "pcdarts",
        "--train-epochs",
        "1",
      ];
      const plans = [
        ["--partial-channels", "1,2"],
        [
          "--append",
          "--partial-channels",
          "2",
          "--edge-normalization",
          "false",
        ],
        ["--append", "--batch-size", "16", "--search-lr", "0.05"],
      ];
      for (const flags of plans) {
        const planned = await runCli("grid.ts", [...base, ...flags]);
        assert.equal(planned.code, 0, planned.text);
      }
      // The same arm again would share run folders with rows planned before.
      const twice = await runCli("grid.ts", [...base, ...plans[1]]);
      assert.equal(twice.code, 2, twice.text);
      assert.match(twice.text, /would share the run folder .*another --arm/);
      const manifest = parse(
        await Deno.readTextFile(join(dir, "manifest.csv")),
        { columns: true },
      ) as Record<string, string>[];
      assert.deepEqual(
        manifest.map((r) => [
          r.index,
          r.arm,
          r.partial_channels,
          r.edge_normalization,
          r.batch_size,
          r.search_lr,
        ]),
        [
          ["0", "k1", "1", "", "", ""],
          ["1", "k2", "2", "", "", ""],
          ["2", "k2-noen", "2", "false", "", ""],
          ["3", "b16-lr0.05", "", "", "16", "0.05"],
        ],
      );
      const expected = [
        { partialChannels: 1, edgeNormalization: true, batchSize: 32 },
        { partialChannels: 2, edgeNormalization: true, batchSize: 32 },
        { partialChannels: 2, edgeNormalization: false, batchSize: 32 },
        {
          partialChannels: 4,
          edgeNormalization: true,
          batchSize: 16,
          learningRate: 0.05,
        },
      ];
      for (const row of manifest) {
        const ran = await runCli("grid.ts", [
          "run",
          join(dir, "manifest.csv"),
          "--index",
          row.index,
          "--data-dir",
          dataDir!,
          "--no-verify",
        ]);
        assert.equal(ran.code, 0, ran.text);
        const folder = join(dir, "runs", `pcdarts-${row.arm}-s0`, "search");
        const config = JSON.parse(
          await Deno.readTextFile(join(folder, "config.json")),
        ).config;
        for (
          const [key, value] of Object.entries(expected[Number(row.index)])
        ) {
          assert.equal(config[key], value, `row ${row.index}: ${key}`);
        }
      }
      const merged = await runCli("grid.ts", ["merge", dir]);
      assert.equal(merged.code, 0, merged.text);
      const summary = parse(
        await Deno.readTextFile(join(dir, "error_summary.csv")),
        { columns: true },
      ) as Record<string, string>[];
      assert.deepEqual(summary.map((r) => r.arm), [
        "k1",
        "k2",
        "k2-noen",
        "b16-lr0.05",
      ]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
