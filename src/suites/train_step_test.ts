import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { runCli } from "../testing/cli_command.ts";
import { twinPython } from "../parity/parity_net.ts";
import { trainStepFlops } from "../bench/train_step_measurement.ts";

Deno.test("the train-step suite times the evaluation network's training step with its roofline, and the PyTorch twin's beside it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const twin = (await twinPython()) !== null;
    const result = await runCli("bench.ts", [
      "--suite",
      "train-step",
      "--config",
      "smoke",
      "--steps",
      "2",
      "--out",
      dir,
      ...(twin ? ["--reference-threads", "1"] : []),
    ]);
    assert.equal(result.code, 0, result.text);
    const [row] = parse(
      await Deno.readTextFile(`${dir}/train-step-smoke.csv`),
      { columns: true },
    ) as Record<string, string>[];
    assert.equal(row.config, "smoke");
    assert.equal(row.batch_size, "8");
    assert.equal(Number(row.flops_per_step), trainStepFlops("smoke"));
    assert.ok(Number(row.median_ms) > 0);
    assert.ok(Number(row.roofline_ms) > 0);
    assert.ok(
      Number(row.roofline_fraction) > 0 && Number(row.roofline_fraction) <= 1,
      row.roofline_fraction,
    );
    assert.ok(Number(row.kernels_per_step) > 0);
    if (twin) {
      assert.ok(Number(row.reference_median_ms) > 0);
      assert.ok(
        Math.abs(
          Number(row.ratio_to_reference) -
            Number(row.median_ms) / Number(row.reference_median_ms),
        ) < 1e-2,
      );
    }
    const unknown = await runCli("bench.ts", [
      "--suite",
      "train-step",
      "--config",
      "huge",
      "--out",
      `${dir}/none`,
    ]);
    assert.notEqual(unknown.code, 0);
    assert.match(
      unknown.text,
      /unknown training-step config "huge"; choose smoke, cpu, paper/,
    );
    // The paper step (about 10 GiB at batch 96) is refused on wasm before it
    // starts, not left to grow the heap until it fails.
    const paper = await runCli("bench.ts", [
      "--suite",
      "train-step",
      "--config",
      "paper",
      "--backend",
      "wasm",
      "--recompute-cells",
      "false",
      "--out",
      `${dir}/paper`,
    ]);
    assert.equal(paper.code, 1, paper.text);
    assert.match(
      paper.text,
      /the paper training step needs about \d+\.\d GiB of tensors with its cells kept \(measured at batches 2 and 4 on wasm, extrapolated\), against the 4\.0 GiB the wasm backend can hold: leave out --recompute-cells false, or choose a backend with more memory/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
