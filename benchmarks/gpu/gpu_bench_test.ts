import assert from "node:assert/strict";
import { readCifarRecords } from "./gpu_bench.ts";
import { CIFAR10_MEAN, CIFAR10_STD } from "../../src/data/cifar10.ts";

Deno.test("readCifarRecords decodes labels and channel-major pixels into normalized NHWC", () => {
  const bytes = new Uint8Array(2 * 3073);
  bytes[0] = 3;
  bytes[3073] = 9;
  // Record 1, green channel, row 2, column 1.
  bytes[3073 + 1 + 1024 + 2 * 32 + 1] = 255;
  const { images, labels, count } = readCifarRecords(bytes, 4);
  assert.equal(count, 2);
  assert.deepEqual([...labels], [3, 9]);
  assert.equal(images.length, 2 * 4 * 4 * 3);
  const at = (n: number, y: number, x: number, c: number) =>
    images[((n * 4 + y) * 4 + x) * 3 + c];
  assert.ok(
    Math.abs(at(1, 2, 1, 1) - (1 - CIFAR10_MEAN[1]) / CIFAR10_STD[1]) < 1e-6,
  );
  assert.ok(
    Math.abs(at(0, 0, 0, 0) - -CIFAR10_MEAN[0] / CIFAR10_STD[0]) < 1e-6,
  );
});

Deno.test("readCifarRecords refuses a file that is not whole records", () => {
  assert.throws(
    () => readCifarRecords(new Uint8Array(3074), 32),
    /not a whole number of 3073-byte CIFAR-10 records/,
  );
});
