import assert from "node:assert/strict";
import { GRID_METHODS } from "../grid/manifest.ts";
import { parse } from "csv-parse/sync";
import { killAfterFirstEpoch } from "../testing/interrupt.ts";
import { VOLATILE_CONTEXT } from "../bench/context.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { trainedNetworkContext } from "../grid/row_runner.ts";
import { resolveTrainConfig } from "../train/train_config.ts";

const root = new URL("../..", import.meta.url).pathname;
const dataDir = Deno.env.get("PCDARTS_DATA_DIR");

/** The grid command, in this process's environment less the array-task indexes, plus `env`. */
function gridCommand(args: string[], env: Record<string, string> = {}) {
  const inherited = Deno.env.toObject();
  delete inherited.SLURM_ARRAY_TASK_ID;
  delete inherited.JOB_COMPLETION_INDEX;
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}src/cli/grid.ts`, ...args],
    clearEnv: true,
    env: { ...inherited, ...env },
    stdout: "piped",
    stderr: "piped",
  });
}

async function grid(args: string[], env: Record<string, string> = {}) {
  const out = await gridCommand(args, env).output();
  return {
    code: out.code,
    text: new TextDecoder().decode(out.stdout) +
      new TextDecoder().decode(out.stderr),
  };
}

/** error.csv without the timing columns and where and when it ran. */
async function results(dir: string): Promise<Record<string, string>[]> {
  const rows = parse(await Deno.readTextFile(`${dir}/error.csv`), {
    columns: true,
  }) as Record<string, string>[];
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).filter(([column]) =>
        // Wall and CPU seconds alike.
        !VOLATILE_CONTEXT.has(column) && !column.endsWith("_seconds")
      ),
    )
  );
}

Deno.test({
  name:
    "a smoke grid killed midway and run again merges to the same CSV as an uninterrupted one",
  ignore: !dataDir,
  async fn() {
    const base = await Deno.makeTempDir({ prefix: "grid-test-" });
    try {
      const plan = [
        "plan",
        "--size",
        "smoke",
        "--seeds",
        "1",
        "--methods",
        "pcdarts,PC_DARTS_cifar",
      ];
      const run = ["--data-dir", dataDir!, "--no-verify"];
      // Uninterrupted.
      assert.equal((await grid([...plan, "--out", `${base}/a`])).code, 0);
      const whole = await grid([
        "run",
        `${base}/a/manifest.csv`,
        "--workers",
        "2",
        ...run,
      ]);
      assert.equal(whole.code, 0, whole.text);
      assert.equal((await grid(["merge", `${base}/a`])).code, 0);

      // Row 0 killed after its search's first epoch, then everything rerun.
      assert.equal((await grid([...plan, "--out", `${base}/b`])).code, 0);
      const killed = await killAfterFirstEpoch(
        gridCommand([
          "run",
          `${base}/b/manifest.csv`,
          "--index",
          "0",
          ...run,
        ]),
        `${base}/b/runs/pcdarts-s0/search`,
      );
      assert.equal(killed.success, false);
      const early = await grid(["merge", `${base}/b`]);
      assert.equal(early.code, 1);
      assert.match(
        early.text,
        /row 0 \(pcdarts, seed 0\) was interrupted \(rerun it to resume/,
      );
      assert.match(
        early.text,
        /row 1 \(PC_DARTS_cifar, seed 0\) has not started/,
      );
      const rest = await grid([
        "run",
        `${base}/b/manifest.csv`,
        "--workers",
        "2",
        ...run,
      ]);
      assert.equal(rest.code, 0, rest.text);
      const again = await grid([
        "run",
        `${base}/b/manifest.csv`,
        "--index",
        "1",
        ...run,
      ]);
      assert.match(again.text, /row 1 is already done/);
      assert.equal((await grid(["merge", `${base}/b`])).code, 0);

      const a = await results(`${base}/a`);
      assert.equal(a.length, 2);
      // Every row starts with the benchmark context.
      const raw = parse(await Deno.readTextFile(`${base}/a/error.csv`), {
        columns: true,
      }) as Record<string, string>[];
      assert.deepEqual(
        Object.keys(raw[0]).slice(0, 3),
        ["run_id", "time_utc", "git_commit"],
      );
      assert.equal(raw[0].dataset, "cifar10");
      assert.equal(raw[0].backend, "wasm");
      // The search's cost in CPU seconds beside its wall seconds; none for a
      // published cell.
      assert.ok(
        Number(raw[0].search_cpu_seconds) > 0,
        raw[0].search_cpu_seconds,
      );
      assert.equal(raw[1].search_cpu_seconds, "0");
      assert.deepEqual(await results(`${base}/b`), a);
      const summary = parse(
        await Deno.readTextFile(`${base}/b/error_summary.csv`),
        { columns: true },
      ) as Record<string, string>[];
      assert.deepEqual(summary.map((r) => r.method), [
        "pcdarts",
        "PC_DARTS_cifar",
      ]);
    } finally {
      await Deno.remove(base, { recursive: true });
    }
  },
});

Deno.test("grid: an unknown method or a missing row index is refused with what to do; a failed row is named with its error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bad = await grid(["plan", "--out", dir, "--methods", "nas"]);
    assert.equal(bad.code, 2);
    assert.match(bad.text, /unknown method "nas"; choose from pcdarts/);
    assert.equal((await grid(["plan", "--out", dir, "--seeds", "1"])).code, 0);
    const noIndex = await gridCommand(["run", `${dir}/manifest.csv`]).output();
    const text = new TextDecoder().decode(noIndex.stderr);
    assert.equal(noIndex.code, 1);
    assert.match(text, /no row index: give --index I or --workers N/);
    const outOfRange = await grid([
      "run",
      `${dir}/manifest.csv`,
      "--index",
      "99",
    ]);
    assert.match(
      outOfRange.text,
      new RegExp(`has ${GRID_METHODS.length} rows; there is no row 99`),
    );

    // A row that fails records why; the merge names it beside the rest.
    const failed = await grid([
      "run",
      `${dir}/manifest.csv`,
      "--index",
      "0",
      "--data-dir",
      `${dir}/no-data`,
    ]);
    assert.equal(failed.code, 1);
    const merged = await grid(["merge", dir]);
    assert.equal(merged.code, 1);
    assert.match(
      merged.text,
      /row 0 \(pcdarts, seed 0\) failed at \d{4}-[^:]*:[^:]*:[^:]*: CIFAR-10 not found in .*no-data/,
    );
    const last = GRID_METHODS.length - 1;
    assert.match(
      merged.text,
      new RegExp(`row ${last} \\(random, seed 0\\) has not started`),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a grid row records the image side the network trained on: 16 at the cpu size, the data set's own at smoke", () => {
  const train = { height: 32, width: 32 } as ImageDataset;
  assert.deepEqual(
    trainedNetworkContext(resolveTrainConfig("cpu", "DARTS_V2"), train),
    { dataset: "cifar10", image_size: 16, channels: 16, layers: 5 },
  );
  assert.equal(
    trainedNetworkContext(resolveTrainConfig("smoke", "DARTS_V2"), train)
      .image_size,
    32,
  );
});

Deno.test("grid run takes its row from SLURM_ARRAY_TASK_ID, else JOB_COMPLETION_INDEX, as the shipped Kubernetes Job runs it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.equal((await grid(["plan", "--out", dir, "--seeds", "1"])).code, 0);
    // Each attempt fails at once (no data) and records the row it ran.
    const attempt = (env: Record<string, string>) =>
      grid(
        ["run", `${dir}/manifest.csv`, "--data-dir", `${dir}/no-data`],
        env,
      );
    assert.equal((await attempt({ JOB_COMPLETION_INDEX: "4" })).code, 1);
    assert.deepEqual(
      [...Deno.readDirSync(`${dir}/rows`)].map((e) => e.name),
      ["4.failed"],
    );
    await attempt({ SLURM_ARRAY_TASK_ID: "2", JOB_COMPLETION_INDEX: "3" });
    assert.deepEqual(
      [...Deno.readDirSync(`${dir}/rows`)].map((e) => e.name).sort(),
      ["2.failed", "4.failed"],
    );
    const bad = await attempt({ JOB_COMPLETION_INDEX: "x" });
    assert.match(bad.text, /JOB_COMPLETION_INDEX must be a row index/);

    // The Job runs that command: an Indexed Job whose pods never restart in
    // place (a retry is a new pod), with no --index of its own.
    const job = Deno.readTextFileSync(
      `${root}benchmarks/grid/k8s_indexed_job.yaml`,
    );
    assert.match(job, /^\s+completionMode: Indexed$/m);
    assert.match(job, /^\s+restartPolicy: Never$/m);
    const command = JSON.parse(job.match(/^\s+command: (\[.*\])$/m)![1]);
    assert.deepEqual(command.slice(0, 4), ["deno", "task", "grid", "run"]);
    assert.equal(command.includes("--index"), false);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
