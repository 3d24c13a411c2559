/**
 * The worker that decodes ImageNet batches beside the step (a
 * `node:worker_threads` worker, see `decode_worker_client.ts`): it answers
 * each request `{ id, root, entries, options }` with `{ id, result }` (the
 * batch and the files that did not decode) or `{ id, error }`.
 */
import { parentPort } from "node:worker_threads";
import { JpegDecoder } from "../jpeg/turbojpeg.ts";
import { type BatchEntry, decodeBatch } from "./imagenet_batches.ts";

const decoder = new JpegDecoder();

parentPort!.on("message", (data: unknown) => {
  const { id, root, entries, options } = data as {
    id: number;
    root: string;
    entries: BatchEntry[];
    options: { side: number; augment: boolean };
  };
  try {
    const result = decodeBatch(root, entries, options, decoder);
    parentPort!.postMessage({ id, result }, [
      result.batch.images.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    parentPort!.postMessage({ id, error: (error as Error).message });
  }
});
