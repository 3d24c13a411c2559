import assert from "node:assert/strict";
import { main } from "./compare.ts";

async function run(args: string[]): Promise<{ code: number; errors: string }> {
  const errors: string[] = [];
  const error = console.error;
  const log = console.log;
  console.error = (line: string) => errors.push(line);
  console.log = () => {};
  try {
    return { code: await main(args), errors: errors.join("\n") };
  } finally {
    console.error = error;
    console.log = log;
  }
}

Deno.test("compare on a file that is not a CSV report names the file and exits 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const good = `${dir}/good.csv`;
    await Deno.writeTextFile(good, "config,median_ms\ntiny,100\n");
    const ragged = `${dir}/ragged.csv`;
    await Deno.writeTextFile(ragged, "a,b\n1\n2,3,4\n");
    const empty = `${dir}/empty.csv`;
    await Deno.writeTextFile(empty, "");
    const bad = await run([good, ragged]);
    assert.equal(bad.code, 1);
    assert.match(bad.errors, new RegExp(`${ragged} is not a CSV report: `));
    const none = await run([empty, good]);
    assert.equal(none.code, 1);
    assert.match(
      none.errors,
      new RegExp(`${empty} is not a CSV report: it has no rows`),
    );
    const missing = await run([good, `${dir}/nothing.csv`]);
    assert.equal(missing.code, 1);
    assert.match(missing.errors, /cannot read .*nothing\.csv/);
    assert.equal((await run([good, good])).code, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("compare refuses a column the schema does not declare, naming the file, the column and where to declare it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const base = `${dir}/base.csv`;
    await Deno.writeTextFile(base, "config,median_ms\ntiny,100\n");
    const grown = `${dir}/grown.csv`;
    await Deno.writeTextFile(
      grown,
      "config,median_ms,warp_factor\ntiny,100,9\n",
    );
    const result = await run([base, grown]);
    assert.equal(result.code, 1);
    assert.match(
      result.errors,
      new RegExp(
        `${grown} has undeclared column "warp_factor"; declare it .* in src/bench/csv_schema.ts`,
      ),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
