import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../testing/cli_command.ts";
import { computedRows as rows } from "../testing/search_rows.ts";
import { fewestRecomputedCells } from "./search_route.ts";
import {
  resolveSearchConfig,
  type SearchConfig,
} from "../search/search_config.ts";
import type { CellRecomputation } from "../ops/recompute.ts";

const root = new URL("../..", import.meta.url).pathname;
const fixtureData = `${root}fixtures/data`;

Deno.test({
  name:
    "where the default's step does not fit, a search with no backend named takes the fastest route that fits, says so with an estimate, and gives the rows of that route's explicit flags",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const args = [
        "cifar10",
        "--size",
        "smoke",
        "--subset",
        "80",
        "--data-dir",
        fixtureData,
        "--no-verify",
      ];
      // A smoke step needs about 88 MiB with its cells kept, about half
      // with them all recomputed: under 100 MiB it fits with some of them
      // recomputed, the fewest first cells that make it fit.
      const auto = join(dir, "auto");
      const chosen = await runCli("search.ts", [
        ...args,
        "--memory-limit",
        "100M",
        "--out",
        auto,
      ], { defaults: true });
      assert.equal(chosen.code, 0, chosen.text);
      const line =
        /^route: (\w+)(?: with (every cell|the first cell|the first (\d) cells) recomputed)?, the fastest that fits \(.*the memory limit is 100 MiB\)\. Estimated: .* s a step.*about .* in all/m
          .exec(chosen.text);
      assert.ok(line, chosen.text);
      const [, backend, recomputed, count] = line;
      const config = JSON.parse(
        await Deno.readTextFile(join(auto, "config.json")),
      );
      assert.equal(config.backend.name, backend);
      const setting = recomputed === undefined
        ? false
        : recomputed === "every cell"
        ? true
        : recomputed === "the first cell"
        ? 1
        : Number(count);
      assert.equal(config.config.recomputeCells, setting);
      const explicit = join(dir, "explicit");
      const named = await runCli("search.ts", [
        ...args,
        "--backend",
        backend,
        ...(setting === true
          ? ["--recompute-cells"]
          : setting
          ? ["--recompute-first", String(setting)]
          : []),
        "--out",
        explicit,
        "--quiet",
      ], { defaults: true });
      assert.equal(named.code, 0, named.text);
      assert.deepEqual(await rows(auto), await rows(explicit));
      assert.equal(
        await Deno.readTextFile(join(auto, "genotype.json")),
        await Deno.readTextFile(join(explicit, "genotype.json")),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("a search that fits the default backend starts there without timing routes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const out = join(dir, "run");
    const result = await runCli("search.ts", [
      "cifar10",
      "--size",
      "smoke",
      "--subset",
      "80",
      "--epochs",
      "1",
      "--data-dir",
      fixtureData,
      "--no-verify",
      "--out",
      out,
    ]);
    assert.equal(result.code, 0, result.text);
    assert.doesNotMatch(result.text, /^route:/m);
    const config = JSON.parse(
      await Deno.readTextFile(join(out, "config.json")),
    );
    assert.equal(config.backend.name, "wasm");
    assert.equal(config.config.recomputeCells, false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a bad --memory-limit or --checkpoint-every is refused with status 2, naming the flag", async () => {
  for (
    const [flag, value, message] of [
      ["--memory-limit", "lots", /--memory-limit takes a size such as 8G/],
      ["--checkpoint-every", "1.5", /--checkpoint-every takes a whole number/],
      ["--checkpoint-minutes", "soon", /--checkpoint-minutes must be a number/],
      ["--recompute-first", "x", /--recompute-first takes a whole number/],
    ] as const
  ) {
    const result = await runCli("search.ts", [
      "cifar10",
      "--size",
      "smoke",
      flag,
      value,
    ]);
    assert.equal(result.code, 2, result.text);
    assert.match(result.text, message);
  }
});

Deno.test("the fewest first cells recomputed that fit are found, every cell written as true", async () => {
  const config = resolveSearchConfig("pcdarts", "paper", {
    dataset: "cifar10",
  });
  // GiB by cells recomputed: to 4 as measured at the paper size on wasm,
  // then made to fall a little further.
  const measured = [5.53, 4.45, 3.36, 2.58, 2.07, 2.0, 1.95, 1.9, 1.85];
  const asked: CellRecomputation[] = [];
  const fake = (capacity: number) => (c: SearchConfig) => {
    const setting = c.recomputeCells ?? false;
    asked.push(setting);
    const n = setting === true ? 8 : setting === false ? 0 : setting;
    const stepBytes = measured[n] * 2 ** 30;
    return Promise.resolve({
      stepBytes,
      capacityBytes: capacity * 2 ** 30,
      fits: stepBytes * 1.25 <= capacity * 2 ** 30,
    });
  };
  const wasm = await fewestRecomputedCells(config, "wasm", fake(4));
  assert.equal(wasm.chosen, 3);
  assert.equal(wasm.memory.stepBytes, 2.58 * 2 ** 30);
  assert.ok(asked.length <= 4, `${asked.length} checks: ${asked}`);
  assert.equal(
    asked[0],
    true,
    "every cell first: if that does not fit, none does",
  );
  const roomy = await fewestRecomputedCells(config, "wasm", fake(5.8));
  assert.equal(roomy.chosen, 1);
  const tight = await fewestRecomputedCells(config, "wasm", fake(2.35));
  assert.equal(tight.chosen, true, "all eight cells: true");
  const none = await fewestRecomputedCells(config, "wasm", fake(2));
  assert.equal(none.chosen, null);
  assert.equal(none.memory.fits, false);
});
