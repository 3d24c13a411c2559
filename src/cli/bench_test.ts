import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { CONTEXT_COLUMNS } from "../bench/context.ts";
import { SEARCH_METHODS } from "../search/search_methods.ts";
import { twinPython } from "../parity/parity_net.ts";

const root = new URL("../..", import.meta.url).pathname;

async function run(script: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}src/cli/${script}`, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  return { code: out.code, text, last: text.trim().split("\n").at(-1) ?? "" };
}

Deno.test({
  name:
    "the default bench (every suite, smoke) writes CSVs with context, memory falls with K, and every CSV with a baseline matches it: no suite's figures depend on the suites before it",
  ignore: !Deno.env.get("PCDARTS_DATA_DIR"),
  fn: smokeSuites,
});

async function smokeSuites() {
  const dir = await Deno.makeTempDir();
  // Every suite, as `deno task bench` runs them (one seed a method in the
  // error suite, to keep the test short).
  const bench = await run("bench.ts", [
    "--size",
    "smoke",
    "--seeds",
    "1",
    "--out",
    dir,
    "--quiet",
  ]);
  assert.equal(bench.code, 0, bench.text);
  const written = [...Deno.readDirSync(dir)].map((e) => e.name).filter((n) =>
    n.endsWith(".csv")
  ).sort();
  assert.deepEqual(written, [
    "batch.csv",
    "cost.csv",
    "error.csv",
    "error_summary.csv",
    "memory.csv",
  ]);
  const memory = parse(await Deno.readTextFile(`${dir}/memory.csv`), {
    columns: true,
  }) as Record<string, string>[];
  for (const column of CONTEXT_COLUMNS) {
    assert.ok(column in memory[0], `context column ${column}`);
  }
  for (const edge of ["false", "true"]) {
    const rows = memory.filter((r) => r.edge_normalization === edge).sort((
      a,
      b,
    ) => +a.k - +b.k);
    const peaks = rows.map((r) => +r.peak_bytes);
    const buffers = rows.map((r) => +r.peak_buffer_bytes);
    assert.equal(peaks.length, 4);
    for (let i = 1; i < peaks.length; i++) {
      assert.ok(peaks[i] < peaks[i - 1], `edge ${edge}: ${peaks}`);
      assert.ok(buffers[i] < buffers[i - 1], `edge ${edge}: ${buffers}`);
    }
    // Each buffer once: never more than tfjs' count, which adds every view
    // and saved clone again, and a real count, not a sliver (about half of
    // tfjs' at this size when measured).
    buffers.forEach((b, i) =>
      assert.ok(b <= peaks[i] && b > peaks[i] / 10, `${b} of ${peaks[i]}`)
    );
  }
  const compare = await run("compare.ts", [
    `${root}results/baseline/memory.csv`,
    `${dir}/memory.csv`,
    `${root}results/baseline/batch.csv`,
    `${dir}/batch.csv`,
    `${root}results/baseline/cost.csv`,
    `${dir}/cost.csv`,
  ]);
  assert.equal(compare.code, 0, compare.text);
  assert.equal(compare.last, "compare: ok");
  // The error suite has no committed baseline (its smoke rows train on
  // CIFAR-10 for seconds); its rows must still be there, one per method.
  const error = parse(await Deno.readTextFile(`${dir}/error.csv`), {
    columns: true,
  }) as Record<string, string>[];
  assert.deepEqual(
    error.map((r) => r.method),
    [...SEARCH_METHODS, "PC_DARTS_cifar", "DARTS_V2", "random"],
  );
  await Deno.remove(dir, { recursive: true });
}

Deno.test("compare fails on a baseline with one memory figure raised by 10%", async () => {
  const dir = await Deno.makeTempDir();
  const rows = parse(
    await Deno.readTextFile(`${root}results/baseline/memory.csv`),
    { columns: true },
  ) as Record<
    string,
    string
  >[];
  const header = Object.keys(rows[0]);
  rows[2].peak_bytes = String(Math.round(+rows[2].peak_bytes * 1.1));
  const csv = [
    header.join(","),
    ...rows.map((r) => header.map((h) => JSON.stringify(r[h] ?? "")).join(",")),
  ].join(
    "\n",
  );
  await Deno.writeTextFile(`${dir}/doctored.csv`, csv);
  const identical = await run("compare.ts", [
    `${root}results/baseline/memory.csv`,
    `${root}results/baseline/memory.csv`,
  ]);
  assert.equal(identical.code, 0, identical.text);
  const doctored = await run("compare.ts", [
    `${root}results/baseline/memory.csv`,
    `${dir}/doctored.csv`,
  ]);
  assert.equal(doctored.code, 1, doctored.text);
  assert.match(doctored.text, /peak_bytes .*REGRESSION/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("the step benchmark prints its roofline and its figure last, writes its kernels by kind, and times the reference twin beside it", async () => {
  const dir = await Deno.makeTempDir();
  // The reference twin needs PyTorch and the CIFAR-10 images.
  const reference = (await twinPython()) !== null &&
    Deno.env.get("PCDARTS_DATA_DIR") !== undefined;
  const step = await run("bench.ts", [
    "--suite",
    "step",
    "--config",
    "tiny",
    "--steps",
    "1",
    "--out",
    dir,
    "--quiet",
    ...(reference ? ["--reference-threads", "1"] : []),
  ]);
  assert.equal(step.code, 0, step.text);
  assert.match(
    step.last,
    /^step: tiny wasm \d+(\.\d+)? ms\/step \([\d.]+-[\d.]+ over 1 steps\), \d+\.\d\d GFLOP\/step, \d+(\.\d+)? GFLOP\/s$/,
  );
  assert.match(step.text, /roofline: bound [\d.]+ ms \(peak [\d.]+ GFLOP\/s/);
  const [row] = parse(await Deno.readTextFile(`${dir}/step-tiny.csv`), {
    columns: true,
  }) as Record<string, string>[];
  // A bound below the measured time, from ceilings a CPU can have.
  // One timed step: it is the fastest, the median and the slowest.
  assert.equal(row.min_ms, row.median_ms);
  assert.equal(row.max_ms, row.median_ms);
  const bound = Number(row.roofline_ms);
  assert.ok(bound > 0 && bound < Number(row.median_ms), `bound ${bound}`);
  assert.equal(
    Number(row.roofline_fraction),
    +(bound / Number(row.median_ms)).toFixed(4),
  );
  assert.ok(Number(row.peak_gflops) > 1 && Number(row.peak_gflops) < 1e4);
  assert.ok(Number(row.peak_gb_per_s) > 0.5 && Number(row.peak_gb_per_s) < 1e4);
  const kinds = parse(
    await Deno.readTextFile(`${dir}/step-tiny-kernels.csv`),
    { columns: true },
  ) as Record<string, string>[];
  // wasm's own depthwise kernels are counted beside tfjs' kernels, and the
  // kinds' bounds add up to the step's.
  const depthwise = kinds.find((k) => k.kind === "simd depthwise_forward")!;
  assert.ok(Number(depthwise.calls) > 0 && Number(depthwise.flops) > 0);
  assert.ok(kinds.some((k) => k.kind === "BatchMatMul"));
  const sum = kinds.reduce((s, k) => s + Number(k.bound_ms), 0);
  assert.ok(Math.abs(sum - bound) < 0.01 * bound + 0.01, `${sum} vs ${bound}`);
  if (reference) {
    assert.equal(row.reference_threads, "1");
    assert.ok(Number(row.reference_median_ms) > 0);
    assert.equal(
      Number(row.ratio_to_reference),
      +(Number(row.median_ms) / Number(row.reference_median_ms)).toFixed(3),
    );
    assert.match(
      step.text,
      /reference \(PyTorch twin, 1 thread\): [\d.]+ ms\/step/,
    );
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bench refuses bad flags and missing data before it runs a suite or makes a folder", async () => {
  const parent = await Deno.makeTempDir();
  const out = `${parent}/bench`;
  const steps = await run("bench.ts", ["--suite", "step", "--steps", "few"]);
  assert.equal(steps.code, 2, steps.text);
  assert.match(steps.text, /--steps must be a number, got "few"/);
  const seeds = await run("bench.ts", ["--suite", "error", "--seeds", "0"]);
  assert.equal(seeds.code, 2, seeds.text);
  assert.match(seeds.text, /--seeds must be a positive integer, got "0"/);
  const budget = await run("bench.ts", ["--memory-budget", "0"]);
  assert.equal(budget.code, 2, budget.text);
  assert.match(budget.text, /--memory-budget must be a positive number of GiB/);
  const missing = await run("bench.ts", [
    "--suite",
    "memory,error",
    "--data-dir",
    `${parent}/no-data`,
    "--out",
    out,
  ]);
  assert.equal(missing.code, 1, missing.text);
  assert.match(missing.text, /CIFAR-10 not found in .*no-data/);
  assert.doesNotMatch(missing.text, /wrote /);
  assert.deepEqual(await Array.fromAsync(Deno.readDir(parent)), []);
  await Deno.remove(parent, { recursive: true });
});
