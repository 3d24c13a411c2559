import assert from "node:assert/strict";
import { parse } from "csv-parse/sync";
import { runCli } from "../testing/cli_command.ts";
import { twinPython } from "../parity/parity_net.ts";
import { trainStepFlops } from "../bench/train_step_measurement.ts";
import { chooseRecomputation } from "./train_step.ts";
import { backendCapacity } from "../backends/memory_capacity.ts";

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
      /the paper training step needs about \d+\.\d GiB of tensors without recomputed cells .* more than the wasm backend's 4\.0 GiB: leave out --recompute-cells false, or choose a backend with more memory/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the training-step suite recomputes cells only where the plain step does not fit", async () => {
  const GiB = 2 ** 30;
  const sizes = (plain: number, recomputed: number) => (recompute: boolean) =>
    Promise.resolve((recompute ? recomputed : plain) * GiB);
  assert.equal(
    await chooseRecomputation("paper", "wasm", undefined, sizes(1, 0.5)),
    false,
  );
  assert.equal(
    await chooseRecomputation("paper", "wasm", undefined, sizes(10, 2)),
    true,
  );
  assert.equal(
    await chooseRecomputation("paper", "wasm", true, sizes(1, 0.5)),
    true,
    "asked for, it recomputes even where the plain step fits",
  );
  await assert.rejects(
    chooseRecomputation("paper", "wasm", undefined, sizes(10, 6)),
    /needs about 6\.0 GiB of tensors even with recomputed cells .* wasm backend's 4\.0 GiB/,
  );
  await assert.rejects(
    chooseRecomputation("paper", "wasm", true, sizes(10, 6)),
    /needs about 6\.0 GiB of tensors with recomputed cells/,
  );
  // The machine's memory (tensorflow's) holds what the wasm heap does not.
  const machine = backendCapacity("tensorflow");
  if (machine !== null && machine > 12.5 * GiB) {
    assert.equal(
      await chooseRecomputation("paper", "tensorflow", undefined, sizes(10, 2)),
      false,
    );
  }
});
