import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";

const root = new URL("../../..", import.meta.url).pathname;
const dataDir = Deno.env.get("PCDARTS_DATA_DIR");

/**
 * One epoch of a smoke search (architecture and weight steps from the first)
 * at `threads`; its epoch rows (times and memory aside) and genotype.
 * `method` defaults to darts1 (four channels an operation: the vector
 * kernels); the extra arguments choose others.
 */
async function smokeSearch(
  threads: number,
  out: string,
  method: string[] = ["--method", "darts1"],
) {
  const result = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${root}src/cli/search.ts`,
      "cifar10",
      ...["--size", "smoke", ...method, "--epochs", "1"],
      ...["--backend", "wasm", "--out", out, "--quiet"],
    ],
    env: { PCDARTS_THREADS: String(threads) },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  const text = decoder.decode(result.stdout) + decoder.decode(result.stderr);
  assert.equal(result.code, 0, text);
  const rows = parse(await Deno.readTextFile(`${out}/epochs.csv`), {
    columns: true,
  }) as Record<string, string>[];
  const config = JSON.parse(await Deno.readTextFile(`${out}/config.json`));
  return {
    rows: rows.map((r) =>
      Object.fromEntries(
        Object.entries(r).filter(([k]) => !/seconds|_ms$|bytes/.test(k)),
      )
    ),
    genotype: await Deno.readTextFile(`${out}/genotype.json`),
    config: JSON.stringify(config),
  };
}

/** The smoke search of `method` at 1 and at 2 threads: the same rows and genotype. */
async function assertSameAtOneAndTwoThreads(method?: string[]) {
  const dir = await Deno.makeTempDir();
  try {
    const one = await smokeSearch(1, `${dir}/one`, method);
    const two = await smokeSearch(2, `${dir}/two`, method);
    assert.ok(two.config.includes('"threads":2'), two.config);
    assert.deepEqual(two.rows, one.rows);
    assert.equal(two.genotype, one.genotype);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test({
  name:
    "a smoke search gives the same epoch rows and genotype with 1 thread and with 2 (the threaded wasm build, kernels split across a worker)",
  ignore: !dataDir,
  fn: () => assertSameAtOneAndTwoThreads(),
});

Deno.test({
  name:
    "a smoke pcdarts search at K=2 (two channels an operation: the pair and half-vector kernels) gives the same rows and genotype with 1 thread and with 2",
  ignore: !dataDir,
  fn: () =>
    assertSameAtOneAndTwoThreads([
      "--method",
      "pcdarts",
      "--partial-channels",
      "2",
    ]),
});

Deno.test({
  name:
    "a smoke pcdarts search at K=4 and C=16 (four channels a group: the one-pass shuffle and the blocked products, split) gives the same rows and genotype with 1 thread and with 2",
  ignore: !dataDir,
  fn: () =>
    assertSameAtOneAndTwoThreads(["--method", "pcdarts", "--channels", "16"]),
});

Deno.test({
  name:
    "without write permission the default thread count falls back to one thread and says so; an asked-for count fails naming the flag",
  ignore: navigator.hardwareConcurrency < 2,
  async fn() {
    const dir = await Deno.makeTempDir();
    const script = `${dir}/threads.ts`;
    await Deno.writeTextFile(
      script,
      `import { initBackend } from "${root}src/backends/init.ts";
import { executionOptions } from "${root}src/ops/execution_options.ts";
await initBackend("wasm");
console.log("threads " + executionOptions().threads);`,
    );
    const run = async (threads: string) => {
      const result = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          `--config=${root}deno.json`,
          // Everything but --allow-write.
          ...["--allow-read", "--allow-env", "--allow-sys", "--allow-net"],
          "--allow-ffi",
          script,
        ],
        env: { PCDARTS_THREADS: threads },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decoder = new TextDecoder();
      return {
        code: result.code,
        text: decoder.decode(result.stdout) + decoder.decode(result.stderr),
      };
    };
    const byDefault = await run("");
    assert.equal(byDefault.code, 0, byDefault.text);
    assert.match(byDefault.text, /wasm: one thread \(.*--allow-write/);
    assert.match(byDefault.text, /threads 1/);
    const asked = await run("2");
    await Deno.remove(dir, { recursive: true });
    assert.notEqual(asked.code, 0, asked.text);
    assert.match(asked.text, /--allow-write, or set PCDARTS_THREADS=1/);
  },
});
