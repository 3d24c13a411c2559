import assert from "node:assert/strict";
import { numberFlag, parseCommandLine } from "./flags.ts";

const root = new URL("../..", import.meta.url).pathname;

Deno.test("numberFlag reads numbers and names the flag it cannot read", () => {
  assert.equal(numberFlag(undefined, "seed"), undefined);
  assert.equal(numberFlag("2.5e-2", "lr"), 0.025);
  assert.throws(
    () => numberFlag("fast", "lr"),
    /--lr must be a number, got "fast"/,
  );
});

Deno.test("parseCommandLine returns the flags, or 0 for --help and 2 for a bad flag", () => {
  const config = {
    allowPositionals: true,
    options: { out: { type: "string" as const } },
  };
  const parsed = parseCommandLine("demo", "usage: demo", {
    ...config,
    args: ["a.json", "--out", "dir"],
  });
  assert.notEqual(typeof parsed, "number");
  if (typeof parsed === "number") return;
  assert.equal(parsed.values.out, "dir");
  assert.deepEqual(parsed.positionals, ["a.json"]);

  const printed: string[] = [];
  const { log, error } = console;
  console.log = (s: string) => printed.push(`out: ${s}`);
  console.error = (s: string) => printed.push(`err: ${s}`);
  try {
    assert.equal(
      parseCommandLine("demo", "usage: demo", { ...config, args: ["-h"] }),
      0,
    );
    assert.equal(
      parseCommandLine("demo", "usage: demo", { ...config, args: ["--oot"] }),
      2,
    );
  } finally {
    console.log = log;
    console.error = error;
  }
  assert.equal(printed[0], "out: usage: demo");
  assert.match(
    printed[1],
    /^err: demo: Unknown option '--oot'.*\n\nusage: demo$/s,
  );
});

Deno.test("every command answers --help with its usage and a bad flag with exit 2", async () => {
  for (
    const command of [
      "search",
      "train",
      "bench",
      "data",
      "report",
      "genotype",
      "parity",
    ]
  ) {
    const run = async (flag: string) => {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", `${root}src/cli/${command}.ts`, flag],
        stdout: "piped",
        stderr: "piped",
      }).output();
      return {
        code: out.code,
        stdout: new TextDecoder().decode(out.stdout),
        stderr: new TextDecoder().decode(out.stderr),
      };
    };
    const help = await run("--help");
    assert.equal(help.code, 0, `${command} --help: ${help.stderr}`);
    assert.match(help.stdout, new RegExp(`^usage:\\s+deno task ${command} `));
    const bad = await run("--no-such-flag");
    assert.equal(bad.code, 2, `${command} --no-such-flag`);
    assert.match(bad.stderr, /Unknown option '--no-such-flag'[\s\S]*usage:/);
  }
});
