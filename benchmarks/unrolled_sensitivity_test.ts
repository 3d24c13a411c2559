import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { twinPython } from "../src/parity/parity_net.ts";
import { parityFixturesDir } from "../src/testing/backends.ts";
import { UNROLLED_SENSITIVITY_SCHEMA } from "../src/bench/csv_schema.ts";

const python = await twinPython();
const shared = parityFixturesDir();
const root = new URL("../", import.meta.url).pathname;

Deno.test({
  name:
    "bench:unrolled: the twin's unrolled gradient passes the darts2 fixture, and a row per draw sets ours beside the reference's float32 and float64 moves",
  ignore: !python || !shared,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const out = `${dir}/unrolled.csv`;
      const result = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          `${root}benchmarks/unrolled_sensitivity.ts`,
          ...["--draws", "1", "--backend", "wasm", "--out", out],
        ],
        env: { PCDARTS_PYTHON: python! },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decoder = new TextDecoder();
      const text = decoder.decode(result.stdout) +
        decoder.decode(result.stderr);
      assert.equal(result.code, 0, text);
      assert.match(
        text,
        /search_step_darts2\.safetensors: step0\.arch_grad error \S+: ok/,
      );
      const rows = parse(Deno.readTextFileSync(out), {
        columns: true,
      }) as Record<string, string>[];
      assert.deepEqual(
        Object.keys(rows[0]),
        [...UNROLLED_SENSITIVITY_SCHEMA.columns],
      );
      assert.deepEqual(rows.map((r) => r.draw), ["0", "fixture"]);
      assert.deepEqual(rows.map((r) => [r.weights, r.layers]), [
        ["scaled", "3"],
        ["fixture", "3"],
      ]);
      for (const row of rows) {
        // Ours lands as near float64 as float32 rounding allows, and moves.
        assert.ok(Number(row.ours_vs_float64) < 1e-3, JSON.stringify(row));
        assert.ok(Number(row.ours_move_all) > 0, JSON.stringify(row));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "bench:unrolled --weights own --layers 4: draws at the network's own initialization, at the size asked, without the 3-cell fixture",
  ignore: !python || !shared,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const out = `${dir}/own.csv`;
      const result = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          `${root}benchmarks/unrolled_sensitivity.ts`,
          ...["--draws", "1", "--weights", "own", "--layers", "4"],
          ...["--backend", "cpu", "--out", out],
        ],
        env: { PCDARTS_PYTHON: python! },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const decoder = new TextDecoder();
      const text = decoder.decode(result.stdout) +
        decoder.decode(result.stderr);
      assert.equal(result.code, 0, text);
      const rows = parse(Deno.readTextFileSync(out), {
        columns: true,
      }) as Record<string, string>[];
      assert.deepEqual(rows.map((r) => [r.draw, r.weights, r.layers]), [
        ["0", "own", "4"],
      ]);
      // Our 4-cell network read the file's size: it lands on float64.
      assert.ok(Number(rows[0].ours_vs_float64) < 1e-3, JSON.stringify(rows));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
