import assert from "node:assert/strict";
import { join } from "node:path";
import { runCli } from "../testing/cli_command.ts";
import { computedRows as rows } from "../testing/search_rows.ts";

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
      // with them recomputed: under 100 MiB only the second fits.
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
        /^route: (\w+)( with recomputed cells)?, the fastest that fits \(.*the memory limit is 100 MiB\)\. Estimated: .* s a step.*about .* in all/m
          .exec(chosen.text);
      assert.ok(line, chosen.text);
      const [, backend, recomputed] = line;
      const config = JSON.parse(
        await Deno.readTextFile(join(auto, "config.json")),
      );
      assert.equal(config.backend.name, backend);
      assert.equal(config.config.recomputeCells, recomputed !== undefined);
      const explicit = join(dir, "explicit");
      const named = await runCli("search.ts", [
        ...args,
        "--backend",
        backend,
        ...(recomputed ? ["--recompute-cells"] : []),
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
