import assert from "node:assert/strict";
import { initBackend } from "../backends/init.ts";
import { startBufferMeter } from "../run/buffer_meter.ts";
import { measureSearchStep } from "./step_measurement.ts";

Deno.test("a measurement that fails leaves no buffer meter running", async () => {
  await initBackend("cpu");
  // 6 channels do not divide into K = 4 partial channels: the network refuses.
  await assert.rejects(
    measureSearchStep({
      channels: 6,
      layers: 3,
      imageSize: 8,
      partialChannels: 4,
      edgeNormalization: true,
      batchSize: 2,
      steps: 0,
    }),
    /divisible|channels/i,
  );
  startBufferMeter().stop();
});
