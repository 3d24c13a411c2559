import assert from "node:assert/strict";
import { soakTableMarkdown } from "./soak_table.ts";

Deno.test("the soak table gives minutes, seconds a step, cores busy and GiB per epoch, and the RSS growth from epoch 2", () => {
  const csv = [
    "epoch,seconds,cpu_seconds,rss_bytes,peak_buffer_bytes,git_commit",
    `0,1200,1800,${2 ** 31},${2 ** 30},abcdef0123`,
    `1,600,1200,${2 ** 32},${2 ** 30},abcdef0123`,
    `2,600,1200,${2 ** 32 * 1.05},${2 ** 30},1234567890`,
  ].join("\n");
  const text = soakTableMarkdown(csv, 100);
  assert.match(
    text,
    /\| 1 +\| 20\.0 +\| 30\.0 +\| 12\.00 +\| 1\.50 +\| 2\.00 +\| 1\.00 +\| abcdef0 \|/,
  );
  assert.match(
    text,
    /\| 3 +\| 10\.0 +\| 20\.0 +\| 6\.00 +\| 2\.00 +\| 4\.20 +\| 1\.00 +\| 1234567 \|/,
  );
  assert.match(text, /RSS from epoch 2 to epoch 3: 5\.0 %\./);
  assert.equal(
    soakTableMarkdown("epoch,seconds\n", 1),
    "(no epoch has ended yet)",
  );
});
