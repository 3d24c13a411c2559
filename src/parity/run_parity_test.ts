import assert from "node:assert/strict";
import { readSafetensors } from "../io/safetensors.ts";
import { checkFixture } from "./run_parity.ts";
import { parityVerdict } from "./summary.ts";
import { formatGenotype } from "../space/genotype.ts";
import { onEachBackend, parityFixturesDir } from "../testing/backends.ts";

const shared = parityFixturesDir();
const ours = new URL("../../fixtures/parity", import.meta.url).pathname;

function fixtureFiles(): string[] {
  const files: string[] = [];
  if (shared) {
    for (
      const name of [
        "primitives",
        "mixed_op_k4",
        "network_pcdarts",
        "network_darts",
        "network_pcdarts_imagenet",
        "eval_network_imagenet",
      ]
    ) {
      files.push(`${shared}/${name}.safetensors`);
    }
  }
  for (const entry of Deno.readDirSync(ours)) {
    if (entry.name.endsWith(".safetensors")) {
      files.push(`${ours}/${entry.name}`);
    }
  }
  return files;
}

Deno.test({
  name: "every parity fixture matches the reference on every backend",
  ignore: !shared,
  async fn(t) {
    await onEachBackend(t, async () => {
      for (const path of fixtureFiles()) {
        const result = await checkFixture(await readSafetensors(path));
        const verdict = parityVerdict(result.rows);
        assert.ok(result.rows.length > 0, `${path}: nothing compared`);
        assert.ok(
          verdict.ok,
          `${path}: outputs ${verdict.maxOutputError}, gradients ${verdict.maxGradientError}`,
        );
        assert.deepEqual(result.failures, [], path);
      }
    });
  },
});

Deno.test({
  name: "derived genotypes equal the reference .genotype.json text exactly",
  ignore: !shared,
  async fn() {
    const pairs = [
      `${shared}/network_pcdarts`,
      `${shared}/network_darts`,
      `${shared}/network_pcdarts_imagenet`,
      ...[...Deno.readDirSync(ours)].filter((e) =>
        e.name.endsWith(".genotype.json")
      )
        .map((e) => `${ours}/${e.name.replace(/\.genotype\.json$/, "")}`),
    ];
    const { initBackend } = await import("../backends/init.ts");
    await initBackend("wasm");
    for (const base of pairs) {
      const result = await checkFixture(
        await readSafetensors(`${base}.safetensors`),
      );
      const derived = result.notes.find((n) => n.startsWith("genotype: "));
      assert.ok(derived, `${base}: no genotype derived`);
      const expected = (await Deno.readTextFile(`${base}.genotype.json`))
        .trim();
      assert.equal(derived.slice("genotype: ".length), expected);
      assert.equal(
        formatGenotype(JSON.parse(expected)),
        expected,
        "our JSON form is the fixtures' form",
      );
    }
  },
});

Deno.test({
  name:
    "the evaluation network lands within 1e-4 of its float64 truth on every backend",
  ignore: !shared,
  async fn(t) {
    await onEachBackend(t, async () => {
      const result = await checkFixture(
        await readSafetensors(`${shared}/eval_network.safetensors`),
      );
      assert.ok(result.tolerances.reference, "a float64 fixture");
      assert.equal(result.tolerances.gradient, 1e-4);
      const verdict = parityVerdict(result.rows);
      assert.ok(
        verdict.ok && verdict.maxGradientError < 1e-4 &&
          verdict.maxOutputError < 1e-4,
        `outputs ${verdict.maxOutputError}, gradients ${verdict.maxGradientError}`,
      );
    });
  },
});

Deno.test({
  name:
    "the search-network fixtures also match with every cell, or only the first, recomputed",
  ignore: !shared,
  async fn(t) {
    await onEachBackend(t, async () => {
      for (const name of ["network_pcdarts", "network_darts"]) {
        for (const recomputeCells of [true, 1]) {
          const result = await checkFixture(
            await readSafetensors(`${shared}/${name}.safetensors`),
            { recomputeCells },
          );
          const verdict = parityVerdict(result.rows);
          const label = `${name}, recomputed ${recomputeCells}`;
          assert.ok(
            verdict.ok,
            `${label}: outputs ${verdict.maxOutputError}, gradients ${verdict.maxGradientError}`,
          );
          assert.deepEqual(result.failures, [], label);
        }
      }
    }, ["cpu", "wasm"]);
  },
});
