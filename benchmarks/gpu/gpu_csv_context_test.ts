import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import {
  GPU_REFERENCE_MEMORY_SCHEMA,
  GPU_REFERENCE_STEPS_SCHEMA,
  GPU_STEPS_SCHEMA,
  GPU_SUMMARY_SCHEMA,
} from "../../src/bench/csv_schema.ts";
import { twinPython } from "../../src/parity/parity_net.ts";

const python = await twinPython();
const here = new URL(".", import.meta.url).pathname;

function header(path: string): string[] {
  return (parse(Deno.readTextFileSync(path), { to_line: 1 }) as string[][])[0];
}

function rows(path: string): Record<string, string>[] {
  return parse(Deno.readTextFileSync(path), { columns: true });
}

async function run(args: string[]): Promise<void> {
  const out = await new Deno.Command(python!, { args, stderr: "piped" })
    .output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
}

Deno.test({
  name:
    "the GPU benchmark's PyTorch rows and its summary carry the context columns, in their declared schemas' order",
  ignore: !python,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "gpu-context-test-" });
    try {
      // 64 CIFAR-10-format records of seeded bytes: the twin only times them.
      const records = new Uint8Array(64 * 3073);
      let state = 7;
      for (let i = 0; i < records.length; i++) {
        state = (state * 1103515245 + 12345) % 2 ** 31;
        records[i] = i % 3073 === 0 ? state % 10 : state % 256;
      }
      await Deno.writeFile(`${dir}/subset.bin`, records);
      await run([
        `${here}reference_step.py`,
        "measure",
        "--size",
        "smoke",
        "--device",
        "cpu",
        "--threads",
        "1",
        "--data",
        `${dir}/subset.bin`,
        "--out",
        dir,
      ]);
      for (
        const [file, schema] of [
          ["torch_steps.csv", GPU_REFERENCE_STEPS_SCHEMA],
          ["torch_memory.csv", GPU_REFERENCE_MEMORY_SCHEMA],
          ["torch_imagenet_steps.csv", GPU_REFERENCE_STEPS_SCHEMA],
        ] as const
      ) {
        assert.deepEqual(header(`${dir}/${file}`), schema.columns);
      }
      const steps = rows(`${dir}/torch_steps.csv`);
      assert.deepEqual(steps.map((r) => r.method), ["pcdarts", "darts1"]);
      for (const row of steps) {
        assert.equal(row.backend, "pytorch-cpu");
        assert.equal(row.image_size, "16");
        assert.match(row.git_commit, /^([0-9a-f]{40}|unknown)$/);
        assert.match(row.time_utc, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        assert.ok(Number(row.median_ms) > 0, `median ${row.median_ms}`);
      }
      // The ImageNet search step: the twin's three-convolution stem at K=2.
      const [imagenet] = rows(`${dir}/torch_imagenet_steps.csv`);
      assert.equal(imagenet.dataset, "imagenet-random");
      assert.equal(imagenet.image_size, "64");
      assert.equal(imagenet.k, "2");
      assert.ok(Number(imagenet.median_ms) > 0, `median ${imagenet.median_ms}`);
      // Our rows as gpu_bench writes them; the summary takes their context.
      const ours = GPU_STEPS_SCHEMA.columns;
      const values: Record<string, string> = {
        run_id: "gpu-smoke-test",
        backend: "webgpu",
        method: "pcdarts",
        submission: "batched",
        k: "4",
        batch_size: "4",
        median_ms: "50",
        consecutive_steps: "3",
        consecutive_total_ms: "150",
      };
      await Deno.writeTextFile(
        `${dir}/ours_steps.csv`,
        `${ours.join(",")}\n${ours.map((c) => values[c] ?? "").join(",")}\n`,
      );
      await Deno.writeTextFile(
        `${dir}/ours_imagenet_steps.csv`,
        `${ours.join(",")}\n${
          ours.map((c) =>
            ({
              ...values,
              dataset: "imagenet-random",
              k: "2",
              median_ms: "80",
            })[c] ?? ""
          ).join(",")
        }\n`,
      );
      await run([`${here}table.py`, dir]);
      assert.deepEqual(
        header(`${dir}/summary.csv`),
        GPU_SUMMARY_SCHEMA.columns,
      );
      const [summary, imagenetSummary] = rows(`${dir}/summary.csv`);
      assert.equal(imagenetSummary.measure, "imagenet step");
      assert.equal(imagenetSummary.dataset, "imagenet-random");
      assert.equal(
        Number(imagenetSummary.ours_over_torch),
        Number((80 / Number(imagenet.median_ms)).toFixed(2)),
      );
      assert.equal(summary.run_id, "gpu-smoke-test");
      assert.equal(summary.backend, "webgpu");
      assert.equal(summary.ours, "50");
      const torchMs = Number(steps[0].median_ms);
      assert.equal(
        Number(summary.ours_over_torch),
        Number((50 / torchMs).toFixed(2)),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
