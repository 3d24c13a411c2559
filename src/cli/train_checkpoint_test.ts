import assert from "node:assert/strict";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { killInsideFirstEpoch } from "../testing/interrupt.ts";
import { cliCommand, runCli } from "../testing/cli_command.ts";
import { readSafetensors } from "../io/safetensors.ts";

const root = new URL("../..", import.meta.url).pathname;
const fixtureData = `${root}fixtures/data`;

async function rows(dir: string): Promise<Record<string, string>[]> {
  return (parse(await Deno.readTextFile(join(dir, "epochs.csv")), {
    columns: true,
  }) as Record<string, string>[]).map(({ seconds: _, ...rest }) => rest);
}

Deno.test({
  name:
    "a training killed inside its first epoch resumes from that checkpoint to the same rows, at the default thread count",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      // 10 steps an epoch, a checkpoint after every step; drop-path draws
      // random numbers every step, so their generator's state must resume.
      const args = [
        "--genotype",
        "PC_DARTS_cifar",
        "--data-dir",
        fixtureData,
        "--no-verify",
        "--size",
        "smoke",
        "--channels",
        "4",
        "--layers",
        "3",
        "--subset",
        "40",
        "--batch-size",
        "4",
        "--epochs",
        "2",
        "--drop-path",
        "0.2",
        "--test-subset",
        "20",
        "--checkpoint-every",
        "1",
        "--quiet",
      ];
      const whole = join(dir, "whole");
      const first = await runCli("train.ts", [...args, "--out", whole], {
        defaults: true,
      });
      assert.equal(first.code, 0, first.text);
      const broken = join(dir, "broken");
      await killInsideFirstEpoch(
        cliCommand("train.ts", [...args, "--out", broken], { defaults: true }),
        broken,
      );
      const state = JSON.parse(
        (await readSafetensors(join(broken, "checkpoint.safetensors")))
          .metadata.state,
      );
      assert.equal(state.epoch, -1);
      assert.ok(state.partial.step >= 1 && state.partial.step < 10);
      const resumed = await runCli("train.ts", ["--resume", broken], {
        defaults: true,
      });
      assert.equal(resumed.code, 0, resumed.text);
      assert.deepEqual(await rows(broken), await rows(whole));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
