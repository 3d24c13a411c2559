/**
 * The WebAssembly text of the batch-norm kernels that run on the wasm
 * backend's heap (see `simd_kernels.ts`), for NHWC tensors whose channel count
 * is divisible by 4, four channels per vector: the statistics and the backward
 * sums in doubles (float64 arrays in the heap), the element-wise maps in
 * float32 with the mean subtracted first, as PyTorch's CPU batch norm computes
 * them (measured: the evaluation-network fixture's gradients came 7.9e-3 → 2.5e-3
 * closer than with double-precision maps `x·scale + shift`, and the step was no
 * slower). Arguments: `pixels` = N·H·W, `c` channels.
 */

const LOW = (v: string) => `(f64x2.promote_low_f32x4 ${v})`;
const HIGH = (v: string) =>
  `(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v} ${v}))`;

/**
 * A loop over channel groups (`$go`: byte offset of the group in a pixel,
 * `$gd`: in a float64 array) and, inside, over pixels (`$p` from `$start`,
 * stepping a pixel), running `body` per pixel; `before`/`after` run per group.
 */
function groupsAndPixels(before: string, body: string, after: string): string {
  return `
    (local.set $pixelBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $arrayBytes (i32.shl (local.get $pixelBytes) (i32.const 1)))
    (local.set $end (i32.mul (local.get $pixels) (local.get $pixelBytes)))
    (local.set $go (i32.const 0))
    (block $gDone (loop $gLoop
      (br_if $gDone (i32.ge_u (local.get $go) (local.get $pixelBytes)))
      (local.set $gd (i32.shl (local.get $go) (i32.const 1)))
      ${before}
      (local.set $p (local.get $go))
      (block $pDone (loop $pLoop
        (br_if $pDone (i32.ge_u (local.get $p) (local.get $end)))
        ${body}
        (local.set $p (i32.add (local.get $p) (local.get $pixelBytes)))
        (br $pLoop)))
      ${after}
      (local.set $go (i32.add (local.get $go) (i32.const 16)))
      (br $gLoop)))`;
}

const LOCALS = `
    (local $pixelBytes i32) (local $arrayBytes i32) (local $end i32) (local $go i32) (local $gd i32) (local $p i32)
    (local $v v128) (local $u v128) (local $lo v128) (local $hi v128)
    (local $accLo v128) (local $accHi v128) (local $acc2Lo v128) (local $acc2Hi v128)
    (local $aLo v128) (local $aHi v128) (local $bLo v128) (local $bHi v128)
    (local $tLo v128) (local $tHi v128) (local $count v128)`;

const ZERO = "(v128.const f64x2 0 0)";

/**
 * `bn_moments(x, stats, pixels, c)`: `stats[ch]` = mean, `stats[c + ch]` =
 * biased variance (two passes: the sum, then squared deviations).
 */
function moments(): string {
  const sumBody = `
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $p))))
        (local.set $accLo (f64x2.add (local.get $accLo) ${
    LOW("(local.get $v)")
  }))
        (local.set $accHi (f64x2.add (local.get $accHi) ${
    HIGH("(local.get $v)")
  }))`;
  const deviationBody = `
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $p))))
        (local.set $lo (f64x2.sub ${LOW("(local.get $v)")} (local.get $aLo)))
        (local.set $hi (f64x2.sub ${HIGH("(local.get $v)")} (local.get $aHi)))
        (local.set $accLo (f64x2.add (local.get $accLo) (f64x2.mul (local.get $lo) (local.get $lo))))
        (local.set $accHi (f64x2.add (local.get $accHi) (f64x2.mul (local.get $hi) (local.get $hi))))`;
  return `
  (func $bn_moments (export "bn_moments") (param $x i32) (param $stats i32) (param $pixels i32) (param $c i32)
    ${LOCALS}
    (local.set $count (f64x2.splat (f64.convert_i32_u (local.get $pixels))))
    ${
    groupsAndPixels(
      `(local.set $accLo ${ZERO}) (local.set $accHi ${ZERO})`,
      sumBody,
      `(local.set $aLo (f64x2.div (local.get $accLo) (local.get $count)))
      (local.set $aHi (f64x2.div (local.get $accHi) (local.get $count)))
      (v128.store (i32.add (local.get $stats) (local.get $gd)) (local.get $aLo))
      (v128.store (i32.add (local.get $stats) (i32.add (local.get $gd) (i32.const 16))) (local.get $aHi))`,
    )
  }
    ${
    groupsAndPixels(
      `(local.set $accLo ${ZERO}) (local.set $accHi ${ZERO})
      (local.set $aLo (v128.load (i32.add (local.get $stats) (local.get $gd))))
      (local.set $aHi (v128.load (i32.add (local.get $stats) (i32.add (local.get $gd) (i32.const 16)))))`,
      deviationBody,
      `(v128.store (i32.add (local.get $stats) (i32.add (local.get $gd) (local.get $arrayBytes)))
        (f64x2.div (local.get $accLo) (local.get $count)))
      (v128.store (i32.add (local.get $stats) (i32.add (i32.add (local.get $gd) (local.get $arrayBytes)) (i32.const 16)))
        (f64x2.div (local.get $accHi) (local.get $count)))`,
    )
  })`;
}

/**
 * `bn_backward_sums(dy, x, mean, sums, pixels, c)`: `sums[ch]` = Σ dy,
 * `sums[c + ch]` = Σ dy·(x − mean[ch]).
 */
function backwardSums(): string {
  const body = `
        (local.set $u (v128.load (i32.add (local.get $dy) (local.get $p))))
        (local.set $v (v128.load (i32.add (local.get $x) (local.get $p))))
        (local.set $lo ${LOW("(local.get $u)")})
        (local.set $hi ${HIGH("(local.get $u)")})
        (local.set $accLo (f64x2.add (local.get $accLo) (local.get $lo)))
        (local.set $accHi (f64x2.add (local.get $accHi) (local.get $hi)))
        (local.set $acc2Lo (f64x2.add (local.get $acc2Lo)
          (f64x2.mul (local.get $lo) (f64x2.sub ${
    LOW("(local.get $v)")
  } (local.get $aLo)))))
        (local.set $acc2Hi (f64x2.add (local.get $acc2Hi)
          (f64x2.mul (local.get $hi) (f64x2.sub ${
    HIGH("(local.get $v)")
  } (local.get $aHi)))))`;
  return `
  (func $bn_backward_sums (export "bn_backward_sums") (param $dy i32) (param $x i32) (param $mean i32) (param $sums i32)
    (param $pixels i32) (param $c i32)
    ${LOCALS}
    ${
    groupsAndPixels(
      `(local.set $accLo ${ZERO}) (local.set $accHi ${ZERO})
      (local.set $acc2Lo ${ZERO}) (local.set $acc2Hi ${ZERO})
      (local.set $aLo (v128.load (i32.add (local.get $mean) (local.get $gd))))
      (local.set $aHi (v128.load (i32.add (local.get $mean) (i32.add (local.get $gd) (i32.const 16)))))`,
      body,
      `(v128.store (i32.add (local.get $sums) (local.get $gd)) (local.get $accLo))
      (v128.store (i32.add (local.get $sums) (i32.add (local.get $gd) (i32.const 16))) (local.get $accHi))
      (v128.store (i32.add (local.get $sums) (i32.add (local.get $gd) (local.get $arrayBytes))) (local.get $acc2Lo))
      (v128.store (i32.add (local.get $sums) (i32.add (i32.add (local.get $gd) (local.get $arrayBytes)) (i32.const 16)))
        (local.get $acc2Hi))`,
    )
  })`;
}

/**
 * `bn_centered_affine(a, b, out, coef, pixels, c)`, in float32 as PyTorch's
 * CPU batch norm computes its element-wise maps: `out = (a − coef[ch])·coef[c
 * + ch] + b·coef[2c + ch] + coef[3c + ch]`, `coef` a float32 array; `b` = 0
 * leaves out its term. The mean is subtracted first, so that inputs far from
 * zero mean keep their digits.
 */
function centeredAffine(): string {
  const coefficient = (k: number) =>
    `(v128.load (i32.add (local.get $coef) (i32.add (local.get $go) (i32.mul (local.get $pixelBytes) (i32.const ${k})))))`;
  const body = (withB: boolean) => `
        (local.set $v (f32x4.add
          (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $a) (local.get $p))) (local.get $aLo)) (local.get $aHi))
          (local.get $tLo)))
        ${
    withB
      ? `(local.set $v (f32x4.add (local.get $v)
          (f32x4.mul (v128.load (i32.add (local.get $b) (local.get $p))) (local.get $bLo))))`
      : ""
  }
        (v128.store (i32.add (local.get $out) (local.get $p)) (local.get $v))`;
  const before = `
      (local.set $aLo ${coefficient(0)}) (local.set $aHi ${coefficient(1)})
      (local.set $bLo ${coefficient(2)}) (local.set $tLo ${coefficient(3)})`;
  return `
  (func $bn_centered_affine (export "bn_centered_affine") (param $a i32) (param $b i32) (param $out i32) (param $coef i32)
    (param $pixels i32) (param $c i32)
    ${LOCALS}
    (if (i32.eqz (local.get $b))
      (then ${groupsAndPixels(before, body(false), "")})
      (else ${groupsAndPixels(before, body(true), "")})))`;
}

/** The functions of this file, for the kernels module. */
export function batchNormKernelText(): string[] {
  return [moments(), backwardSums(), centeredAffine()];
}
