import assert from "node:assert/strict";
import * as tf from "../tf.ts";
import { onEachBackend } from "../testing/backends.ts";

/**
 * The backends whose buffer sharing tfjs sees. On tensorflow a reshape or a
 * clone is a TensorFlow op whose result is a new handle (TensorFlow may share
 * the bytes behind it, invisibly to tfjs), so the meter counts handles there.
 */
const SHARING_VISIBLE = ["cpu", "wasm", "webgpu"];
import { startBufferMeter } from "./buffer_meter.ts";

const FLOATS = 1000;
const BYTES = FLOATS * 4;
const filled = (value: number, floats = FLOATS) =>
  tf.tensor1d(new Float32Array(floats).fill(value));

Deno.test("a buffer counts once however many tensors share it; tfjs' peak counts each", async (t) => {
  await onEachBackend(t, async () => {
    const meter = startBufferMeter();
    try {
      const profile = await tf.profile(() => {
        const x = filled(1);
        const views = [
          tf.reshape(x, [10, 100]),
          tf.reshape(x, [100, 10]),
          tf.clone(x),
          tf.clone(x),
        ];
        tf.dispose([x, ...views]);
      });
      assert.equal(meter.peakBytes, BYTES);
      assert.equal(meter.liveBytes, 0);
      assert.ok(
        profile.peakBytes - profile.newBytes >= 5 * BYTES,
        `tfjs' own peak counts the views: ${profile.peakBytes}`,
      );
    } finally {
      meter.stop();
    }
  }, SHARING_VISIBLE);
});

Deno.test("a freed buffer leaves the count, and the peak is the highest moment", async (t) => {
  await onEachBackend(t, () => {
    const before = filled(9);
    const meter = startBufferMeter();
    try {
      // Three live at once, then one at a time.
      const three = [1, 2, 3].map((v) => filled(v));
      tf.dispose(three);
      for (let i = 0; i < 5; i++) filled(i).dispose();
      assert.equal(meter.peakBytes, 3 * BYTES);
      const half = filled(7, FLOATS / 2);
      meter.resetPeak();
      assert.equal(meter.peakBytes, BYTES / 2);
      half.dispose();
      // A buffer from before the meter neither counts nor uncounts.
      tf.reshape(before, [10, 100]).dispose();
      before.dispose();
      assert.equal(meter.liveBytes, 0);
      assert.equal(meter.peakBytes, BYTES / 2);
    } finally {
      meter.stop();
    }
  }, SHARING_VISIBLE);
});

Deno.test("one meter at a time, and a stopped meter leaves the engine as it was", () => {
  const engine = tf.engine() as unknown as Record<string, unknown>;
  const before = [engine.trackTensor, engine.removeDataId];
  const meter = startBufferMeter();
  assert.throws(() => startBufferMeter(), /already running/);
  meter.stop();
  assert.deepEqual([engine.trackTensor, engine.removeDataId], before);
  assert.ok(!Object.hasOwn(engine, "trackTensor"));
  startBufferMeter().stop();
});
