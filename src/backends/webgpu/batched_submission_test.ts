import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { lacksBackends, onEachBackend } from "../../testing/backends.ts";
import { seededSearchStepBits } from "../../testing/search_steps.ts";
import {
  batchedUniformUploads,
  DISPATCHES_PER_SUBMIT,
} from "./batched_submission.ts";
import { programDispatchCount } from "./webgpu_programs.ts";
import { setBatchedSubmission } from "../../testing/option_setters.ts";

Deno.test({
  name:
    "batched submission: two search steps give the same bits as tfjs' own submission, with one upload per batch",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      const previous = setBatchedSubmission(true);
      try {
        assert.equal(
          tf.env().get("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE"),
          DISPATCHES_PER_SUBMIT,
        );
        const uploads = batchedUniformUploads();
        const dispatches = programDispatchCount();
        const batched = await seededSearchStepBits(2);
        const uploaded = batchedUniformUploads() - uploads;
        const ours = programDispatchCount() - dispatches;
        assert.ok(uploaded > 0, "the arena uploaded");
        assert.ok(
          uploaded * 8 < ours,
          `${uploaded} uploads for more than ${ours} dispatches`,
        );
        setBatchedSubmission(false);
        assert.equal(tf.env().get("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE"), 15);
        const before = batchedUniformUploads();
        const plain = await seededSearchStepBits(2);
        assert.equal(batchedUniformUploads(), before, "off: no arena uploads");
        assert.equal(batched.length, plain.length);
        batched.forEach((bits, i) =>
          assert.deepEqual(bits, plain[i], `variable ${i} differs`)
        );
      } finally {
        setBatchedSubmission(previous);
      }
    }, ["webgpu"]);
  },
});

Deno.test({
  name:
    "batched submission: a batch whose uniforms overflow the arena is submitted early and computes the same",
  ignore: await lacksBackends(["webgpu"]),
  fn: async (t) => {
    await onEachBackend(t, async () => {
      const previous = setBatchedSubmission(true);
      // One submit for everything (so one upload, at the read), unless the
      // arena (256 KiB, a slot of at least 256 bytes per dispatch) fills first:
      // 1,500 dispatches need at least one early submit.
      tf.env().set("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE", 100_000);
      try {
        const uploads = batchedUniformUploads();
        const start = tf.linspace(0, 1, 4096);
        let x = tf.mul(start, 2);
        for (let i = 0; i < 1500; i++) {
          const next = tf.tidy(() => tf.add(x, tf.scalar(i % 3)));
          x.dispose();
          x = next;
        }
        const values = await x.data();
        const expected = 1500; // 500 × (0 + 1 + 2)
        assert.ok(batchedUniformUploads() - uploads >= 2, "an early submit");
        const base = await start.data();
        for (let i = 0; i < values.length; i += 97) {
          assert.ok(
            Math.abs(values[i] - (2 * base[i] + expected)) < 1e-3,
            `${i}: ${values[i]}`,
          );
        }
        tf.dispose([x, start]);
      } finally {
        setBatchedSubmission(previous);
      }
    }, ["webgpu"]);
  },
});
