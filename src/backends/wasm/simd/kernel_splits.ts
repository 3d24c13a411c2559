/**
 * How a SIMD kernel call splits into calls over disjoint parts of its output,
 * for the kernel pool (`backends/wasm/kernel_pool.ts`): by batch sample
 * (depthwise convolutions, pooling windows), by matrix row, by pixel or by
 * element. Each part computes its elements exactly as the whole call would
 * (the same loads, the same order of sums), so a split call gives the same
 * bits as an unsplit one, whatever the number of parts.
 * The transposed product `aᵀ · b` sums over rows, so it splits by output row
 * (a column of `a`) instead. Kernels that sum across every dimension they
 * could split by are not split: the depthwise filter gradient (split by
 * kernel row, each part streamed the whole input again and two threads took
 * 1.1-1.5x one's time at 32×32), the batch-norm sums.
 */

/** A kernel call's arguments. */
type Args = number[];

/** Splits `args` into at most `parts` calls, or answers null (too small to pay). */
export type KernelSplit = (args: Args, parts: number) => Args[] | null;

/**
 * The least work a part must carry (multiply-adds or element visits) for a
 * split to pay for waking a worker, about 20 µs.
 */
export const MIN_PART_WORK = 1 << 16;

/**
 * `count` items in at most `parts` consecutive ranges of whole multiples of
 * `align` (the last takes the rest), each worth at least `MIN_PART_WORK` at
 * `workPerItem`; null when fewer than two ranges would do.
 */
export function splitRanges(
  count: number,
  parts: number,
  workPerItem: number,
  align = 1,
): [start: number, length: number][] | null {
  const byWork = Math.floor((count * workPerItem) / MIN_PART_WORK);
  const k = Math.min(parts, byWork, Math.floor(count / align));
  if (k < 2) return null;
  const size = Math.ceil(count / k / align) * align;
  const ranges: [number, number][] = [];
  for (let start = 0; start < count; start += size) {
    ranges.push([start, Math.min(size, count - start)]);
  }
  return ranges.length < 2 ? null : ranges;
}

/** Depthwise forward and input gradient: split by batch sample. */
function depthwise(forward: boolean): KernelSplit {
  return (args, parts) => {
    const [a, b, out, n, h, w, c, oh, ow, kh, kw] = args;
    const inFloats = h * w * c;
    const outFloats = oh * ow * c;
    // forward: a is the input, out the output; input gradient: a is dy, out dx.
    const aStep = 4 * (forward ? inFloats : outFloats);
    const outStep = 4 * (forward ? outFloats : inFloats);
    const ranges = splitRanges(n, parts, outFloats * kh * kw);
    return ranges?.map(([start, length]) => {
      const part = [...args];
      part[0] = a + start * aStep;
      part[1] = b;
      part[2] = out + start * outStep;
      part[3] = length;
      return part;
    }) ?? null;
  };
}

/**
 * A pooling window kernel whose pointers (each on the input side, `[n, h, w,
 * c]`, or the output side, `[n, oh, ow, c]`) come first and the window's
 * arguments after (`n, h, w, c, oh, ow, kernel, …`): split by batch sample,
 * every image's windows, zeroing and scatter being its own.
 */
function pooling(sides: ("input" | "output")[]): KernelSplit {
  return (args, parts) => {
    const at = sides.length;
    const [n, h, w, c, oh, ow, kernel] = args.slice(at, at + 7);
    const step = { input: 4 * h * w * c, output: 4 * oh * ow * c };
    const ranges = splitRanges(n, parts, oh * ow * c * kernel * kernel);
    return ranges?.map(([start, length]) => {
      const part = [...args];
      sides.forEach((side, i) => part[i] = args[i] + start * step[side]);
      part[at] = length;
      return part;
    }) ?? null;
  };
}

/**
 * `out[rows, cols] = a[rows, inner] · b`: split by row, in runs of 4 (the
 * register-blocked kernel's block).
 */
const matmul: KernelSplit = (args, parts) => {
  const [a, b, out, rows, inner, cols] = args;
  return splitRanges(rows, parts, inner * cols, 4)?.map(([start, length]) => [
    a + 4 * start * inner,
    b,
    out + 4 * start * cols,
    length,
    inner,
    cols,
  ]) ?? null;
};

/**
 * `out[inner, cols] = aᵀ · b` over `rows`: split by output row (a column of
 * `a`, whose rows stay `lda` floats apart), in runs of 4 (the kernel's block).
 */
const transposedProduct: KernelSplit = (args, parts) => {
  const [a, b, out, rows, inner, cols, chunk, lda] = args;
  return splitRanges(inner, parts, rows * cols, 4)?.map(([start, length]) => [
    a + 4 * start,
    b,
    out + 4 * start * cols,
    rows,
    length,
    cols,
    chunk,
    lda,
  ]) ?? null;
};

/**
 * Strided block copies: split by the outermost count above 1 (a channel
 * shuffle's copies have an outer count of 1 and the pixels next), when its
 * blocks go to distinct places (a zero destination stride would make the
 * parts race).
 */
const copyBlocks: KernelSplit = (args, parts) => {
  const [s0, d0, , , , len] = args;
  const counts = args.slice(2, 5);
  const dim = counts.findIndex((count) => count > 1);
  if (dim < 0) return null;
  const [srcStride, dstStride] = [args[6 + dim], args[9 + dim]];
  if (dstStride === 0) return null;
  const inner = counts.slice(dim + 1).reduce((a, b) => a * b, 1) * len;
  return splitRanges(counts[dim], parts, inner)?.map(([start, length]) => {
    const part = [...args];
    part[0] = s0 + 4 * start * srcStride;
    part[1] = d0 + 4 * start * dstStride;
    part[2 + dim] = length;
    return part;
  }) ?? null;
};

/** Batch norm's per-channel map over `[pixels, c]` (b optional): split by pixel. */
const centeredAffine: KernelSplit = (args, parts) => {
  const [a, b, out, coef, pixels, c] = args;
  // Doubles and two terms: a few operations an element.
  return splitRanges(pixels, parts, 4 * c)?.map(([start, length]) => [
    a + 4 * start * c,
    b === 0 ? 0 : b + 4 * start * c,
    out + 4 * start * c,
    coef,
    length,
    c,
  ]) ?? null;
};

/**
 * An element-wise kernel over `n` floats whose pointers come first and whose
 * count is argument `countAt`: split by element, in whole vectors of 4.
 */
function elementwise(pointers: number, countAt: number): KernelSplit {
  return (args, parts) =>
    splitRanges(args[countAt], parts, 1, 4)?.map(([start, length]) => {
      const part = [...args];
      for (let i = 0; i < pointers; i++) part[i] = args[i] + 4 * start;
      part[countAt] = length;
      return part;
    }) ?? null;
}

/** The K = 4 channel shuffle over `pixels`: split by pixel. */
const shuffle: KernelSplit = (args, parts) => {
  const [g0, g1, g2, g3, s0, s1, out, pixels, part] = args;
  return splitRanges(pixels, parts, 4 * part)?.map(([start, length]) => [
    g0 + 4 * start * s0,
    g1 + 4 * start * s1,
    g2 + 4 * start * s1,
    g3 + 4 * start * s1,
    s0,
    s1,
    out + 16 * start * part,
    length,
    part,
  ]) ?? null;
};

/** The kernels that split, by export name. */
export const KERNEL_SPLITS: Readonly<Record<string, KernelSplit>> = {
  depthwise_forward_v: depthwise(true),
  depthwise_forward_s: depthwise(true),
  depthwise_inputGrad_v: depthwise(false),
  depthwise_inputGrad_s: depthwise(false),
  depthwise_forward_d: depthwise(true),
  depthwise_inputGrad_d: depthwise(false),
  depthwise_forward_p: depthwise(true),
  depthwise_inputGrad_p: depthwise(false),
  gemm_v: matmul,
  matmul_s: matmul,
  gemm_at_v: transposedProduct,
  gemm_at_blocked_v: transposedProduct,
  shuffle4_gather_v: shuffle,
  shuffle4_scatter_v: shuffle,
  copy_blocks: copyBlocks,
  maxpool_forward_v: pooling(["input", "output"]),
  maxpool_forward_s: pooling(["input", "output"]),
  maxpool_grad_v: pooling(["input", "output", "input"]),
  maxpool_grad_s: pooling(["input", "output", "input"]),
  avgpool_forward_v: pooling(["input", "output"]),
  avgpool_forward_s: pooling(["input", "output"]),
  avgpool_grad_v: pooling(["output", "input"]),
  avgpool_grad_s: pooling(["output", "input"]),
  bn_centered_affine: centeredAffine,
  bn_centered_affine_d: centeredAffine,
  relu: elementwise(2, 2),
  relu_grad: elementwise(3, 3),
  scale: elementwise(2, 2),
  axpy: elementwise(2, 2),
  sum2: elementwise(3, 3),
};
