/**
 * The worker that decodes ImageNet batches beside the step: it answers each
 * request `{ id, root, entries, options }` with `{ id, result }` (the batch and
 * the files that did not decode) or `{ id, error }`.
 */
import { JpegDecoder } from "../jpeg/turbojpeg.ts";
import { type BatchEntry, decodeBatch } from "./imagenet_batches.ts";

const scope = self as unknown as {
  onmessage: (e: MessageEvent) => void;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};
const decoder = new JpegDecoder();

scope.onmessage = (e) => {
  const { id, root, entries, options } = e.data as {
    id: number;
    root: string;
    entries: BatchEntry[];
    options: { side: number; augment: boolean };
  };
  try {
    const result = decodeBatch(root, entries, options, decoder);
    scope.postMessage({ id, result }, [
      result.batch.images.buffer as ArrayBuffer,
    ]);
  } catch (error) {
    scope.postMessage({ id, error: (error as Error).message });
  }
};
