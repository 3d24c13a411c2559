/**
 * A worker of `bench:jpeg` (`node:worker_threads`, as the wasm backend's
 * threaded build makes every `Worker`): decodes and augments the JPEGs it is
 * sent for two seconds and answers how many it did.
 */
import { parentPort } from "node:worker_threads";
import { JpegDecoder } from "../src/data/jpeg/turbojpeg.ts";
import { trainTransform } from "../src/data/imagenet/transforms.ts";
import { Random } from "../src/ops/random.ts";

parentPort!.once("message", (files: Uint8Array[]) => {
  const decoder = new JpegDecoder();
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < 2000) {
    for (const bytes of files) {
      trainTransform(decoder.decode(bytes), new Random(done++));
    }
  }
  decoder.close();
  parentPort!.postMessage(done);
});
