import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { twinPython } from "../src/parity/parity_net.ts";
import { parseGenotype } from "../src/space/genotype.ts";

const python = await twinPython();
const dataDir = Deno.env.get("PCDARTS_DATA_DIR");
const script = new URL("./reference_search_cpu.py", import.meta.url).pathname;

async function search(out: string, dir = dataDir!) {
  const result = await new Deno.Command(python!, {
    args: [
      script,
      ...["--method", "pcdarts", "--seed", "3", "--data-dir", dir],
      ...["--out", out, "--channels", "4", "--layers", "3"],
      ...["--per-class", "10", "--epochs", "3", "--batch", "16"],
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    text: decoder.decode(result.stdout) + decoder.decode(result.stderr),
  };
}

Deno.test({
  name:
    "the PyTorch cpu-size search: a row an epoch on the cosine, no architecture change in warm-up, a valid genotype, the same rows from the same seed",
  ignore: !python || !dataDir,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const first = await search(`${dir}/a.csv`);
      assert.equal(first.code, 0, first.text);
      await search(`${dir}/b.csv`);
      const rows = parse(Deno.readTextFileSync(`${dir}/a.csv`), {
        columns: true,
      }) as Record<string, string>[];
      assert.deepEqual(rows.map((r) => Number(r.epoch)), [0, 1, 2]);
      // lr 0.1 on a per-epoch cosine over 3 epochs.
      rows.forEach((r, e) =>
        assert.ok(
          Math.abs(Number(r.lr) - 0.05 * (1 + Math.cos(Math.PI * e / 3))) <
            1e-9,
        )
      );
      // pcdarts's 2 warm-up epochs at the cpu size leave the architecture as
      // it started.
      assert.equal(rows[1].genotype, rows[0].genotype);
      const genotype = parseGenotype(rows[2].genotype, `${dir}/a.csv`);
      assert.equal(genotype.normal.length, 8);
      assert.equal(genotype.reduce.length, 8);
      const strip = (text: string) =>
        (parse(text, { columns: true }) as Record<string, string>[]).map((
          { seconds: _, ...rest },
        ) => rest);
      assert.deepEqual(
        strip(Deno.readTextFileSync(`${dir}/b.csv`)),
        strip(Deno.readTextFileSync(`${dir}/a.csv`)),
      );
      const missing = await search(`${dir}/c.csv`, `${dir}/nowhere`);
      assert.notEqual(missing.code, 0);
      assert.match(
        missing.text,
        /nowhere\/cifar-10-batches-bin\/data_batch_1.bin: .*--data-dir/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
