/**
 * A worker of `bench:jpeg`: decodes and augments the JPEGs it is sent for two
 * seconds and answers how many it did.
 */
import { JpegDecoder } from "../src/data/jpeg/turbojpeg.ts";
import { trainTransform } from "../src/data/imagenet/transforms.ts";
import { Random } from "../src/ops/random.ts";

const scope = self as unknown as {
  onmessage: (e: MessageEvent<Uint8Array[]>) => void;
  postMessage(message: number): void;
};

scope.onmessage = (e) => {
  const files = e.data;
  const decoder = new JpegDecoder();
  let done = 0;
  const started = performance.now();
  while (performance.now() - started < 2000) {
    for (const bytes of files) {
      trainTransform(decoder.decode(bytes), new Random(done++));
    }
  }
  decoder.close();
  scope.postMessage(done);
};
