/**
 * The work of one SIMD kernel call, from its arguments (see each
 * `*_kernel_text.ts` for the contracts): floating-point operations (a
 * multiply-add counts two; a comparison, a max or a copy none) and minimal
 * bytes, every float32 input read once and every output written once.
 */

/** Floating-point operations and minimal bytes of a call. */
export interface Work {
  /** Floating-point operations. */
  flops: number;
  /** Minimal bytes moved. */
  bytes: number;
}

/** Bytes of a float32. */
const F32 = 4;

/** The window arguments' sizes: input and output elements, window taps. */
function window(
  args: number[],
): { input: number; output: number; taps: number } {
  const [n, h, w, c, oh, ow, kernel] = args;
  return {
    input: n * h * w * c,
    output: n * oh * ow * c,
    taps: kernel * kernel,
  };
}

/**
 * The kernel an export runs, whatever its flavour: the name without its
 * flavour suffix (`_v` vectors, `_s` scalars, `_d` half vectors, `_p` pixel
 * pairs).
 */
export function simdKernelKind(name: string): string {
  return name.replace(/_[vsdp]$/, "");
}

/**
 * The work of calling the SIMD kernel `name` (its export's name) with `args`,
 * or null for a kernel this table does not know (its calls are left out of
 * the roofline, which then bounds less than the whole step).
 */
export function simdKernelWork(name: string, args: number[]): Work | null {
  switch (simdKernelKind(name)) {
    case "copy_blocks": {
      const [, , n0, n1, n2, length] = args;
      return { flops: 0, bytes: 2 * F32 * n0 * n1 * n2 * length };
    }
    case "shuffle4_gather":
    case "shuffle4_scatter": {
      const [, , , , , , , pixels, part] = args;
      return { flops: 0, bytes: 2 * F32 * pixels * 4 * part };
    }
    case "transpose":
      return { flops: 0, bytes: 2 * F32 * args[2] * args[3] };
    case "zero":
      return { flops: 0, bytes: F32 * args[1] };
    case "scale":
      return { flops: args[2], bytes: 2 * F32 * args[2] };
    case "sum2":
      return { flops: args[3], bytes: 3 * F32 * args[3] };
    case "axpy":
      return { flops: 2 * args[2], bytes: 3 * F32 * args[2] };
    case "dot":
      return { flops: 2 * args[2], bytes: 2 * F32 * args[2] };
    case "relu":
      return { flops: 0, bytes: 2 * F32 * args[2] };
    case "relu_grad":
      return { flops: 0, bytes: 3 * F32 * args[3] };
    case "maxpool_grad": {
      // Reads x and dy, writes dx; the window's comparisons are no arithmetic.
      const { input, output, taps } = window(args.slice(3));
      return { flops: output * taps, bytes: F32 * (2 * input + output) };
    }
    case "maxpool_forward":
    case "avgpool_forward":
    case "avgpool_grad": {
      const { input, output, taps } = window(args.slice(2));
      return { flops: output * taps, bytes: F32 * (input + output) };
    }
    case "bn_moments": {
      // A sum and a sum of squares per element.
      const [, , pixels, c] = args;
      return { flops: 3 * pixels * c, bytes: F32 * pixels * c };
    }
    case "bn_backward_sums": {
      const [, , , , pixels, c] = args;
      return { flops: 4 * pixels * c, bytes: 2 * F32 * pixels * c };
    }
    case "bn_centered_affine": {
      // (a - mean) * scale + shift, plus b where given.
      const [, b, , , pixels, c] = args;
      const inputs = b === 0 ? 1 : 2;
      return {
        flops: (inputs + 2) * pixels * c,
        bytes: (inputs + 1) * F32 * pixels * c,
      };
    }
    case "depthwise_forward":
    case "depthwise_inputGrad":
    case "depthwise_filterGrad": {
      const [, , , n, h, w, c, oh, ow, kh, kw] = args;
      return {
        flops: 2 * n * oh * ow * c * kh * kw,
        bytes: F32 * (n * h * w * c + kh * kw * c + n * oh * ow * c),
      };
    }
    case "matmul":
    case "matmul_at":
    case "gemm":
    case "gemm_at":
    case "gemm_at_blocked": {
      const [, , , rows, inner, cols] = args;
      return {
        flops: 2 * rows * inner * cols,
        bytes: F32 * (rows * inner + inner * cols + rows * cols),
      };
    }
    default:
      return null;
  }
}
