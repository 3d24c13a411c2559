import assert from "node:assert/strict";
import { ImageNetBatches } from "./imagenet_batches.ts";
import { readImageFolder } from "./image_folder.ts";
import { turboJpegAvailable } from "../jpeg/turbojpeg.ts";
import { writeJpegTree } from "../../testing/jpeg_tree.ts";

const workers = new URL("../../testing/decode_workers/", import.meta.url);

/**
 * Asks for the first batch of a small tree from a decode worker of `script`;
 * returns the error and how many seconds it took.
 */
async function firstBatchFailure(
  script: string,
  timeoutMs?: number,
): Promise<{ message: string; seconds: number }> {
  const root = await Deno.makeTempDir();
  try {
    writeJpegTree(root, { classes: 2, perClass: 3 });
    const train = readImageFolder(root, "train");
    const batches = new ImageNetBatches(root, train.images, {
      batchSize: 2,
      seed: 1,
      stream: 0,
      augment: true,
      side: 16,
      warn: () => {},
      workerScript: new URL(script, workers),
      workerTimeoutMs: timeoutMs,
    });
    const started = performance.now();
    try {
      await batches.batch(0, 0);
    } catch (error) {
      return {
        message: (error as Error).message,
        seconds: (performance.now() - started) / 1000,
      };
    } finally {
      batches.close();
    }
    throw new Error(`the ${script} worker gave a batch`);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test({
  name:
    "a decode worker that throws on its first batch fails the request within seconds, naming the worker and the cause",
  ignore: !turboJpegAvailable(),
  async fn() {
    const { message, seconds } = await firstBatchFailure("throws.ts");
    assert.match(
      message,
      /ImageNet decode worker \(throws\.ts\) failed: .*a planted failure on the first batch/,
    );
    assert.ok(seconds < 10, `${seconds} s`);
  },
});

Deno.test({
  name: "a decode worker that exits fails the request, naming its exit code",
  ignore: !turboJpegAvailable(),
  async fn() {
    const { message, seconds } = await firstBatchFailure("exits.ts");
    assert.match(
      message,
      /ImageNet decode worker \(exits\.ts\) exited with code 3/,
    );
    assert.ok(seconds < 10, `${seconds} s`);
  },
});

Deno.test({
  name:
    "a decode worker that never answers fails the request at its time limit",
  ignore: !turboJpegAvailable(),
  async fn() {
    const { message, seconds } = await firstBatchFailure("silent.ts", 500);
    assert.match(
      message,
      /ImageNet decode worker \(silent\.ts\) gave no batch in 0\.5 s/,
    );
    assert.ok(seconds >= 0.45 && seconds < 10, `${seconds} s`);
  },
});
