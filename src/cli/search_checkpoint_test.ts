import assert from "node:assert/strict";
import { join } from "node:path";
import { killInsideFirstEpoch } from "../testing/interrupt.ts";
import { cliCommand, runCli } from "../testing/cli_command.ts";
import { readSafetensors } from "../io/safetensors.ts";
import { computedRows as rows } from "../testing/search_rows.ts";

const root = new URL("../..", import.meta.url).pathname;
const fixtureData = `${root}fixtures/data`;

Deno.test({
  name:
    "a smoke search killed inside its first epoch resumes from that checkpoint to the same rows, architecture weights and genotype, at the default thread count",
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      // 5 weight steps an epoch, a checkpoint after every step.
      const args = [
        "cifar10",
        "--size",
        "smoke",
        "--subset",
        "80",
        "--batch-size",
        "8",
        "--data-dir",
        fixtureData,
        "--no-verify",
        "--checkpoint-every",
        "1",
        "--quiet",
      ];
      const whole = join(dir, "whole");
      const first = await runCli("search.ts", [...args, "--out", whole], {
        defaults: true,
      });
      assert.equal(first.code, 0, first.text);
      const broken = join(dir, "broken");
      await killInsideFirstEpoch(
        cliCommand("search.ts", [...args, "--out", broken], { defaults: true }),
        broken,
      );
      const state = JSON.parse(
        (await readSafetensors(join(broken, "checkpoint.safetensors")))
          .metadata.state,
      );
      assert.equal(state.epoch, -1, "killed after the first epoch ended");
      assert.equal(state.partial.epoch, 0);
      assert.ok(
        state.partial.step >= 1 && state.partial.step < 5,
        `step ${state.partial.step}`,
      );
      assert.equal(state.partial.tally.seen, 8 * state.partial.step);
      const resumed = await runCli("search.ts", ["--resume", broken], {
        defaults: true,
      });
      assert.equal(resumed.code, 0, resumed.text);
      assert.match(
        resumed.text,
        new RegExp(`resuming after step ${state.partial.step}`),
      );
      assert.deepEqual(await rows(broken), await rows(whole));
      for (const file of ["genotype.json", "architecture_weights.csv"]) {
        assert.equal(
          await Deno.readTextFile(join(broken, file)),
          await Deno.readTextFile(join(whole, file)),
          file,
        );
      }
      assert.deepEqual(
        await Deno.readFile(join(broken, "architecture.safetensors")),
        await Deno.readFile(join(whole, "architecture.safetensors")),
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "a resume that skipped a batch gives other rows: the resumed rows check every step",
  async fn() {
    // The same kill, then the checkpoint's step moved on by one: the rows
    // must differ from the uninterrupted run's.
    const dir = await Deno.makeTempDir();
    try {
      const args = [
        "cifar10",
        "--size",
        "smoke",
        "--epochs",
        "1",
        "--subset",
        "80",
        "--batch-size",
        "8",
        "--data-dir",
        fixtureData,
        "--no-verify",
        "--checkpoint-every",
        "1",
        "--quiet",
      ];
      const whole = join(dir, "whole");
      const first = await runCli("search.ts", [...args, "--out", whole]);
      assert.equal(first.code, 0, first.text);
      const broken = join(dir, "broken");
      await killInsideFirstEpoch(
        cliCommand("search.ts", [...args, "--out", broken]),
        broken,
      );
      const path = join(broken, "checkpoint.safetensors");
      const bytes = await Deno.readFile(path);
      const headerLength = Number(
        new DataView(bytes.buffer).getBigUint64(0, true),
      );
      const header = JSON.parse(
        new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)),
      );
      const state = JSON.parse(header.__metadata__.state);
      state.partial.step += 1;
      header.__metadata__.state = JSON.stringify(state);
      const text = new TextEncoder().encode(JSON.stringify(header));
      const length = new Uint8Array(8);
      new DataView(length.buffer).setBigUint64(0, BigInt(text.length), true);
      await Deno.writeFile(
        path,
        new Uint8Array([
          ...length,
          ...text,
          ...bytes.subarray(8 + headerLength),
        ]),
      );
      const resumed = await runCli("search.ts", ["--resume", broken]);
      assert.equal(resumed.code, 0, resumed.text);
      assert.notDeepEqual(await rows(broken), await rows(whole));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
