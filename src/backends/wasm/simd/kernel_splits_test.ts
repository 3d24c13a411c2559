import assert from "node:assert/strict";
import { KERNEL_SPLITS, MIN_PART_WORK, splitRanges } from "./kernel_splits.ts";

Deno.test("split ranges cover the items once, in whole aligned runs, each worth the minimum work", () => {
  assert.deepEqual(splitRanges(64, 2, MIN_PART_WORK), [[0, 32], [32, 32]]);
  assert.deepEqual(splitRanges(10, 3, MIN_PART_WORK, 4), [[0, 8], [8, 2]]);
  // Too little work for a second part, or a single item.
  assert.equal(splitRanges(64, 2, MIN_PART_WORK / 64), null);
  assert.equal(splitRanges(1, 2, 1e9), null);
});

Deno.test("a depthwise forward call splits by sample: input and output pointers move by whole samples", () => {
  // a, b, out, n, h, w, c, oh, ow, kh, kw, shift, dilation, padTop, padLeft
  const args = [1000, 2000, 900000, 8, 32, 32, 16, 16, 16, 3, 3, 1, 1, 1, 1];
  const parts = KERNEL_SPLITS.depthwise_forward_v(args, 2)!;
  assert.equal(parts.length, 2);
  assert.deepEqual(parts[0], [...args.slice(0, 3), 4, ...args.slice(4)]);
  assert.equal(parts[1][0], 1000 + 4 * 32 * 32 * 16 * 4);
  assert.equal(parts[1][1], 2000);
  assert.equal(parts[1][2], 900000 + 4 * 16 * 16 * 16 * 4);
  assert.equal(parts[1][3], 4);
  // The input gradient reads dy (output-sized) and writes dx (input-sized).
  const grad = KERNEL_SPLITS.depthwise_inputGrad_v(args, 2)!;
  assert.equal(grad[1][0], 1000 + 4 * 16 * 16 * 16 * 4);
  assert.equal(grad[1][2], 900000 + 4 * 32 * 32 * 16 * 4);
});

Deno.test("row, pixel and element splits move each pointer by what a row, pixel or element holds; racing copies do not split", () => {
  const matmul = KERNEL_SPLITS.gemm_v([10, 20, 30, 4096, 16, 32], 2)!;
  assert.deepEqual(matmul[1], [
    10 + 4 * 2048 * 16,
    20,
    30 + 4 * 2048 * 32,
    2048,
    16,
    32,
  ]);
  const affine = KERNEL_SPLITS.bn_centered_affine(
    [10, 0, 30, 40, 8192, 16],
    2,
  )!;
  assert.deepEqual(affine[1], [
    10 + 4 * 4096 * 16,
    0,
    30 + 4 * 4096 * 16,
    40,
    4096,
    16,
  ]);
  const relu = KERNEL_SPLITS.relu_grad([100, 200, 300, 1 << 20], 2)!;
  assert.deepEqual(relu[1], [
    100 + 4 * (1 << 19),
    200 + 4 * (1 << 19),
    300 + 4 * (1 << 19),
    1 << 19,
  ]);
  const copy = [0, 0, 4096, 4, 4, 16, 256, 64, 16, 256, 64, 16];
  assert.equal(KERNEL_SPLITS.copy_blocks(copy, 2)?.length, 2);
  copy[9] = 0; // every block to the same place
  assert.equal(KERNEL_SPLITS.copy_blocks(copy, 2), null);
  // A channel shuffle's copy: one outer block, so split by pixel.
  const shuffle = [100, 200, 1, 16384, 8, 1, 0, 32, 1, 0, 32, 4];
  assert.deepEqual(KERNEL_SPLITS.copy_blocks(shuffle, 2), [
    [100, 200, 1, 8192, 8, 1, 0, 32, 1, 0, 32, 4],
    [
      100 + 4 * 8192 * 32,
      200 + 4 * 8192 * 32,
      1,
      8192,
      8,
      1,
      0,
      32,
      1,
      0,
      32,
      4,
    ],
  ]);
});

Deno.test("a transposed product splits by output row: a's columns and out's rows move together, in runs of 4, a's row stride kept", () => {
  // a, b, out, rows, inner, cols, chunk, lda
  const args = [100, 200, 300, 65536, 10, 16, 128, 10];
  const parts = KERNEL_SPLITS.gemm_at_v(args, 2)!;
  assert.deepEqual(parts, [
    [100, 200, 300, 65536, 8, 16, 128, 10],
    [100 + 4 * 8, 200, 300 + 4 * 8 * 16, 65536, 2, 16, 128, 10],
  ]);
  // Fewer than two runs of 4 output rows: not split.
  assert.equal(
    KERNEL_SPLITS.gemm_at_v([0, 0, 0, 65536, 4, 16, 128, 4], 2),
    null,
  );
});

Deno.test("the K = 4 shuffle splits by pixel: each group and the output move by whole pixels", () => {
  // g0, g1, g2, g3, s0, s1, out, pixels, part
  const args = [100, 200, 300, 400, 8, 32, 500, 16384, 8];
  assert.deepEqual(KERNEL_SPLITS.shuffle4_gather_v(args, 2)![1], [
    100 + 4 * 8192 * 8,
    200 + 4 * 8192 * 32,
    300 + 4 * 8192 * 32,
    400 + 4 * 8192 * 32,
    8,
    32,
    500 + 4 * 8192 * 32,
    8192,
    8,
  ]);
});

Deno.test("pooling kernels split by sample: each pointer moves by a whole input or output image", () => {
  // x, dy, dx, n, h, w, c, oh, ow, kernel, stride, padding
  const grad = [1000, 2000, 3000, 64, 32, 32, 4, 16, 16, 3, 2, 1];
  const input = 4 * 32 * 32 * 4;
  const output = 4 * 16 * 16 * 4;
  assert.deepEqual(KERNEL_SPLITS.maxpool_grad_v(grad, 2), [
    [1000, 2000, 3000, 32, ...grad.slice(4)],
    [
      1000 + 32 * input,
      2000 + 32 * output,
      3000 + 32 * input,
      32,
      ...grad.slice(4),
    ],
  ]);
  // The average pool: forward (x, y, …), gradient (dy, dx, …).
  const window = [64, 32, 32, 4, 16, 16, 3, 2, 1];
  assert.deepEqual(
    KERNEL_SPLITS.avgpool_forward_v([10, 20, ...window], 2)![1],
    [
      10 + 32 * input,
      20 + 32 * output,
      32,
      ...window.slice(1),
    ],
  );
  assert.deepEqual(KERNEL_SPLITS.avgpool_grad_v([10, 20, ...window], 2)![1], [
    10 + 32 * output,
    20 + 32 * input,
    32,
    ...window.slice(1),
  ]);
  // One image, or too little work a part: not split.
  assert.equal(
    KERNEL_SPLITS.avgpool_forward_s([10, 20, 1, ...window.slice(1)], 2),
    null,
  );
  assert.equal(
    KERNEL_SPLITS.avgpool_forward_v([10, 20, 8, ...window.slice(1)], 2),
    null,
  );
});
