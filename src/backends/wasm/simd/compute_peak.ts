/**
 * The floating-point rate wasm's SIMD units reach on this machine: twelve
 * independent chains of `f32x4` multiplies and adds held in registers, no
 * memory touched, so nothing but the vector units bounds it. A large matrix
 * product through tfjs (the other ceiling measured) reaches less of it, and
 * the SIMD kernels' work is plain multiplies and adds, so this is the
 * roofline's compute ceiling for them.
 */
import wabtInit from "wabt";

/** Independent accumulators: enough to cover the add's and multiply's latency. */
const CHAINS = 12;

function peakModuleText(): string {
  const chains = Array.from({ length: CHAINS }, (_, i) => `$a${i}`);
  return `(module
  (func (export "multiply_adds") (param $n i32) (result f32)
    (local $m v128) (local $s v128) ${
    chains.map((a) => `(local ${a} v128)`).join(" ")
  }
    (local.set $m (f32x4.splat (f32.const 0.999)))
    (local.set $s (f32x4.splat (f32.const 0.001)))
    ${
    chains.map((a, i) =>
      `(local.set ${a} (v128.const f32x4 ${i} ${i + 1} ${i + 2} ${i + 3}))`
    ).join(" ")
  }
    (block $done (loop $iterations
      (br_if $done (i32.eqz (local.get $n)))
      ${
    chains.map((a) =>
      `(local.set ${a} (f32x4.add (f32x4.mul (local.get ${a}) (local.get $m)) (local.get $s)))`
    ).join("\n      ")
  }
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $iterations)))
    ;; the sum keeps every chain live
    ${
    chains.slice(1).map((a) =>
      `(local.set $a0 (f32x4.add (local.get $a0) (local.get ${a})))`
    ).join(" ")
  }
    (f32x4.extract_lane 0 (local.get $a0))))`;
}

/** FLOPs of one iteration: a multiply and an add on four lanes per chain. */
export const FLOPS_PER_ITERATION = CHAINS * 4 * 2;

let compiled: Promise<(n: number) => number> | null = null;

/**
 * The kernel: runs `n` iterations and returns lane 0 of the chains' sum (what
 * the test checks the iteration count by).
 */
export function simdMultiplyAdds(): Promise<(n: number) => number> {
  compiled ??= compileMultiplyAdds();
  return compiled;
}

async function compileMultiplyAdds(): Promise<(n: number) => number> {
  const wabt = await wabtInit();
  const parsed = wabt.parseWat("compute_peak.wat", peakModuleText(), {
    simd: true,
  });
  try {
    const { buffer } = parsed.toBinary({});
    const { instance } = await WebAssembly.instantiate(
      buffer as Uint8Array<ArrayBuffer>,
    );
    return instance.exports.multiply_adds as (n: number) => number;
  } finally {
    parsed.destroy();
  }
}

/**
 * FLOPs per second of wasm SIMD multiply-adds in registers on the calling
 * thread: the best of `repeats` runs of `iterations` after a warm-up run
 * (which lets the engine's optimizing tier take over).
 */
export async function simdPeakFlopsPerSecond(
  iterations = 2e7,
  repeats = 5,
): Promise<number> {
  const run = await simdMultiplyAdds();
  let best = Infinity;
  for (let i = 0; i <= repeats; i++) {
    const started = performance.now();
    const value = run(iterations);
    const ms = performance.now() - started;
    if (!Number.isFinite(value)) {
      throw new Error(`the SIMD peak's chains diverged (${value})`);
    }
    if (i > 0) best = Math.min(best, ms);
  }
  return (iterations * FLOPS_PER_ITERATION) / (best / 1000);
}
