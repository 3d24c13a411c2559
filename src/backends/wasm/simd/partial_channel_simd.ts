/**
 * A partial-channel MixedOp's output on the wasm heap: the shuffle of the
 * processed and bypassed channels as one vector pass at K = 4
 * (`shuffle_kernel_text.ts`), else SIMD copies, the bypassed channels read in
 * place.
 */
import type * as tf from "../../../tf.ts";
import { customOp } from "../../../ops/custom_gradient.ts";
import { copyBlocks } from "./layout_simd.ts";
import type { SimdKernels } from "./simd_kernels.ts";

/** `partialChannelOutput` on the heap. */
export function partialChannelOutputSimd(
  simd: SimdKernels,
  processed: tf.Tensor4D,
  x: tf.Tensor4D,
  k: number,
  stride: number,
  bypassed: () => tf.Tensor4D,
): tf.Tensor4D {
  return stride === 1
    ? shuffleWithBypass(simd, processed, x, processed.shape[3], k)
    : shuffleWithBypass(simd, processed, bypassed(), 0, k);
}

/**
 * `channelShuffle(concat([processed, bypassed]), k)` as one op on the wasm heap,
 * where `bypassed` is channels `offset … offset + (k−1)·part` of `source` (read
 * in place: no slice, no concatenated copy, no transpose). Output channel
 * `j·k + g` is `processed[j]` for g = 0 and `bypassed[(g−1)·part + j]` else.
 */
function shuffleWithBypass(
  simd: SimdKernels,
  processed: tf.Tensor4D,
  source: tf.Tensor4D,
  offset: number,
  k: number,
): tf.Tensor4D {
  const [n, h, w, part] = processed.shape;
  const sourceChannels = source.shape[3];
  const channels = part * k;
  const pixels = n * h * w;
  // Group g's channels: where they are in (processed or source) and in out.
  const groups = Array.from({ length: k }, (_, g) => ({
    fromSource: g > 0,
    offset: g === 0 ? 0 : offset + (g - 1) * part,
    stride: g === 0 ? part : sourceChannels,
  }));
  const move = (
    group: (typeof groups)[number],
    inputPointer: number,
    outPointer: number,
    g: number,
    gather: boolean,
  ) => {
    const input = {
      pointer: inputPointer,
      offset: group.offset,
      strides: [0, group.stride, 1],
    };
    const out = { pointer: outPointer, offset: g, strides: [0, channels, k] };
    copyBlocks(
      simd,
      gather ? input : out,
      gather ? out : input,
      [1, pixels, part],
      1,
    );
  };
  // K = 4 with whole quads of channels: one vector pass (shuffle4_*_v).
  const quads = k === 4 && part % 4 === 0;
  const shuffle = (
    kernel: typeof simd.kernels.shuffle4_gather_v,
    processedPointer: number,
    sourcePointer: number,
    outPointer: number,
  ) =>
    kernel(
      processedPointer,
      ...groups.slice(1).map((group) => sourcePointer + 4 * group.offset) as [
        number,
        number,
        number,
      ],
      part,
      sourceChannels,
      outPointer,
      pixels,
      part,
    );
  const op = customOp(([first, second]) => {
    const out = simd.allocate([n, h, w, channels]);
    if (quads) {
      shuffle(
        simd.kernels.shuffle4_gather_v,
        simd.pointer(first),
        simd.pointer(second),
        out.pointer,
      );
      return { value: out.tensor, gradFunc: backward };
    }
    groups.forEach((group, g) =>
      move(
        group,
        simd.pointer(group.fromSource ? second : first),
        out.pointer,
        g,
        true,
      )
    );
    return { value: out.tensor, gradFunc: backward };
  });
  function backward(dy: tf.Tensor): tf.Tensor[] {
    const dProcessed = simd.allocate(processed.shape);
    const dSource = simd.allocate(source.shape);
    simd.kernels.zero(dSource.pointer, source.size);
    if (quads) {
      shuffle(
        simd.kernels.shuffle4_scatter_v,
        dProcessed.pointer,
        dSource.pointer,
        simd.pointer(dy),
      );
    } else {
      groups.forEach((group, g) =>
        move(
          group,
          group.fromSource ? dSource.pointer : dProcessed.pointer,
          simd.pointer(dy),
          g,
          false,
        )
      );
    }
    return [dProcessed.tensor, dSource.tensor];
  }
  return op(processed, source) as tf.Tensor4D;
}
