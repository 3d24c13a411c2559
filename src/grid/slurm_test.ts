import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";

/**
 * A single-node SLURM cluster (Debian's slurm-wlm and munge, run as root)
 * started for the test: a 3-row smoke grid submitted as an array job, merged,
 * and the daemons stopped by their process ids.
 */
const root = new URL("../..", import.meta.url).pathname;
const dataDir = Deno.env.get("PCDARTS_DATA_DIR");

function found(tool: string): boolean {
  try {
    return new Deno.Command("sh", {
      args: ["-c", `command -v ${tool}`],
      stdout: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

const missing = ["munged", "slurmctld", "slurmd", "sbatch", "sinfo"].filter(
  (t) => !found(t),
);
const why = missing.length > 0
  ? `${missing.join(", ")} not installed (apt-get install -y slurm-wlm munge)`
  : Deno.uid() !== 0
  ? "the daemons run as root here, and this is not root"
  : !dataDir
  ? "no PCDARTS_DATA_DIR"
  : null;
if (why) console.warn(`SLURM test skipped: ${why}`);

async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(command, { args, env }).output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    text: decoder.decode(out.stdout) + decoder.decode(out.stderr),
  };
}

async function pidIn(path: string): Promise<number | null> {
  try {
    return Number((await Deno.readTextFile(path)).trim()) || null;
  } catch {
    return null;
  }
}

/** The pid a daemon writes once it has forked (waits up to 10 s). */
async function daemonPid(path: string): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const pid = await pidIn(path);
    if (alive(pid)) return pid!;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no live process in ${path}`);
}

function alive(pid: number | null): boolean {
  if (pid === null) return false;
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name:
    "a smoke grid runs as a SLURM array job on a single-node cluster and merges",
  ignore: why !== null,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "slurm-test-" });
    const host = (await run("hostname", ["-s"])).text.trim();
    const conf = `${dir}/slurm.conf`;
    const env = { SLURM_CONF: conf };
    const started: number[] = [];
    try {
      for (const sub of ["state", "spool", "log"]) {
        await Deno.mkdir(`${dir}/${sub}`);
      }
      await Deno.writeTextFile(
        conf,
        [
          "ClusterName=pcdarts-test",
          `SlurmctldHost=${host}`,
          "SlurmUser=root",
          "SlurmdUser=root",
          "AuthType=auth/munge",
          "ProctrackType=proctrack/linuxproc",
          "TaskPlugin=task/none",
          "SelectType=select/cons_tres",
          "SelectTypeParameters=CR_Core",
          "ReturnToService=2",
          "MpiDefault=none",
          `StateSaveLocation=${dir}/state`,
          `SlurmdSpoolDir=${dir}/spool`,
          `SlurmctldPidFile=${dir}/slurmctld.pid`,
          `SlurmdPidFile=${dir}/slurmd.pid`,
          `SlurmctldLogFile=${dir}/log/slurmctld.log`,
          `SlurmdLogFile=${dir}/log/slurmd.log`,
          `NodeName=${host} CPUs=2 State=UNKNOWN`,
          `PartitionName=main Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
          "",
        ].join("\n"),
      );
      // munged needs its socket folder; it only warns about its log folder.
      await Deno.mkdir("/run/munge", { recursive: true });
      await run("chown", ["munge:munge", "/run/munge"]);
      if (!alive(await pidIn("/run/munge/munged.pid"))) {
        const munge = await run("munged", ["--force"]);
        assert.equal(munge.code, 0, `munged: ${munge.text}`);
        started.push(await daemonPid("/run/munge/munged.pid"));
      }
      for (const daemon of ["slurmctld", "slurmd"]) {
        const r = await run(daemon, ["-f", conf], env);
        assert.equal(r.code, 0, `${daemon}: ${r.text}`);
        started.push(await daemonPid(`${dir}/${daemon}.pid`));
      }
      let state = "";
      for (let i = 0; i < 100 && state !== "idle"; i++) {
        await new Promise((r) => setTimeout(r, 200));
        state = (await run("sinfo", ["-h", "-o", "%T"], env)).text.trim();
      }
      assert.equal(state, "idle", "the node never became idle");

      const grid = `${dir}/grid`;
      const plan = await run(Deno.execPath(), [
        "run",
        "-A",
        `${root}src/cli/grid.ts`,
        "plan",
        "--out",
        grid,
        "--seeds",
        "1",
        "--methods",
        "pcdarts,PC_DARTS_cifar,random",
      ]);
      assert.equal(plan.code, 0, plan.text);
      const job = await run("sbatch", [
        "--wait",
        "--array=0-2",
        `--chdir=${root}`,
        `--output=${grid}/slurm-%a.out`,
        `${root}benchmarks/grid/slurm_array.sh`,
        `${grid}/manifest.csv`,
        "--data-dir",
        dataDir!,
        "--no-verify",
      ], env);
      assert.equal(job.code, 0, job.text);
      for (let task = 0; task < 3; task++) {
        const out = await Deno.readTextFile(`${grid}/slurm-${task}.out`);
        assert.match(out, new RegExp(`grid row ${task} \\(`), out);
      }
      const merge = await run(Deno.execPath(), [
        "run",
        "-A",
        `${root}src/cli/grid.ts`,
        "merge",
        grid,
      ]);
      assert.equal(merge.code, 0, merge.text);
      const rows = parse(await Deno.readTextFile(`${grid}/error.csv`), {
        columns: true,
      }) as Record<string, string>[];
      assert.deepEqual(rows.map((r) => r.method), [
        "pcdarts",
        "PC_DARTS_cifar",
        "random",
      ]);
      for (const r of rows) {
        const error = Number(r.test_error);
        assert.ok(error >= 0 && error <= 1, `${r.method}: ${r.test_error}`);
      }
    } finally {
      for (const pid of started.reverse()) {
        try {
          Deno.kill(pid, "SIGTERM");
        } catch {
          // already gone
        }
        for (let i = 0; i < 100 && alive(pid); i++) {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await Deno.remove(dir, { recursive: true });
    }
  },
});
