import assert from "node:assert/strict";
import { readSafetensors, type SafetensorsFile } from "../io/safetensors.ts";
import { initBackend } from "../backends/init.ts";
import { onEachBackend, parityFixturesDir } from "../testing/backends.ts";
import { checkFixture } from "./run_parity.ts";
import { checkSearchStepFixture } from "./check_search_step.ts";
import { parityVerdict } from "./summary.ts";

const shared = parityFixturesDir();
const STEP_FIXTURES = ["search_step_pcdarts", "search_step_darts2"];

function storedResults(file: SafetensorsFile): number {
  return [...file.tensors.keys()].filter((n) =>
    /^step\d+\./.test(n) && !/\.(input|target)_/.test(n)
  ).length;
}

Deno.test({
  name:
    "two reference search steps (darts2 unrolled on every backend, pcdarts first order on all but lavapipe's webgpu) match, every stored result within its own bar",
  ignore: !shared,
  async fn(t) {
    const files = await Promise.all(
      STEP_FIXTURES.map((n) => readSafetensors(`${shared}/${n}.safetensors`)),
    );
    await onEachBackend(t, async (backend) => {
      for (const [i, file] of files.entries()) {
        // On lavapipe the pcdarts file takes 48 s, most of it compiling
        // programs; `deno task parity` checks it there (docs/parity.md).
        if (
          backend === "webgpu" && STEP_FIXTURES[i] === "search_step_pcdarts"
        ) {
          continue;
        }
        const result = await checkFixture(file);
        assert.equal(result.kind, "search_step");
        assert.deepEqual(result.failures, [], STEP_FIXTURES[i]);
        const verdict = parityVerdict(result.rows);
        assert.ok(
          verdict.ok,
          `${STEP_FIXTURES[i]}: ${
            result.rows.filter((r) => !(r.relativeError < r.limit!)).map((r) =>
              `${r.check} ${r.relativeError} > ${r.limit}`
            ).join("; ")
          }`,
        );
        assert.ok(
          result.notes.some((n) =>
            n.startsWith(`${storedResults(file)} stored results`)
          ),
          result.notes.join("\n"),
        );
      }
    });
  },
});

Deno.test({
  name:
    "a 1e-3 miss on a well-conditioned result fails, while the same miss on an ill-conditioned one passes its wider bar",
  ignore: !shared,
  async fn() {
    await initBackend("wasm");
    const path = `${shared}/search_step_darts2.safetensors`;
    const miss = async (name: string) => {
      const file = await readSafetensors(path);
      const data = file.tensors.get(name)!.data;
      for (let i = 0; i < data.length; i++) data[i] *= 1.001;
      const result = await checkSearchStepFixture(file);
      return result.results.find((r) => r.name === name)!;
    };
    // The architecture after the first step: float32 scatters to 1.2e-6.
    const tight = await miss("step0.arch.alphas_normal");
    assert.ok(tight.bar === 1e-4 && tight.error > tight.bar, `${tight.error}`);
    // The second step's architecture gradient: float32 scatters to 5.9e-3,
    // so its bar is 5.9e-2.
    const loose = await miss("step1.arch_grad.alphas_normal");
    assert.ok(loose.bar > 1e-2 && loose.error < loose.bar, `${loose.error}`);
  },
});

Deno.test({
  name:
    "a search-step fixture whose settings differ from the method's defaults is named, and one lacking a weight is refused",
  ignore: !shared,
  async fn() {
    await initBackend("wasm");
    const file = await readSafetensors(
      `${shared}/search_step_darts2.safetensors`,
    );
    file.metadata.momentum = "0.8";
    const result = await checkSearchStepFixture(file);
    assert.deepEqual(result.settingMismatches, [
      "darts2's momentum is 0.9, the reference's 0.8",
    ]);
    // Run at the fixture's momentum, the second step's results move.
    assert.ok(result.results.some((r) => r.error > r.bar));
    file.tensors.delete("init.param.stem.0.weight");
    await assert.rejects(
      () => checkSearchStepFixture(file),
      /the fixture lacks init\.param\.stem\.0\.weight/,
    );
  },
});
