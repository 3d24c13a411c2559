/**
 * The WebAssembly text of the data-movement and element-wise kernels that run
 * on the wasm backend's heap (see `simd_kernels.ts`): strided block copies
 * (slices, channel concatenation, padding, subsampling and their scatters),
 * `x·s`, `y += x·s`, a dot product with double sums, and the max-pool input
 * gradient, average pooling without the padding in the count. Pointers are byte offsets; strides and lengths count float32s.
 */

/**
 * `copy_blocks`: for i0 < n0, i1 < n1, i2 < n2, copies `len` consecutive floats
 * from `src + i0·ss0 + i1·ss1 + i2·ss2` to `dst + i0·ds0 + i1·ds1 + i2·ds2`.
 */
function copyBlocks(): string {
  const level = (i: number, inner: string) => `
      (local.set $i${i} (i32.const 0))
      (local.set $s${i + 1} (local.get $s${i}))
      (local.set $d${i + 1} (local.get $d${i}))
      (block $done${i} (loop $loop${i}
        (br_if $done${i} (i32.ge_s (local.get $i${i}) (local.get $n${i})))
        ${inner}
        (local.set $s${i + 1} (i32.add (local.get $s${
    i + 1
  }) (local.get $ss${i})))
        (local.set $d${i + 1} (i32.add (local.get $d${
    i + 1
  }) (local.get $ds${i})))
        (local.set $i${i} (i32.add (local.get $i${i}) (i32.const 1)))
        (br $loop${i})))`;
  const run = `
        (local.set $p (i32.const 0))
        (if (local.get $vector)
          (then (block $vDone (loop $vLoop
            (br_if $vDone (i32.ge_u (local.get $p) (local.get $bytes)))
            (v128.store (i32.add (local.get $d3) (local.get $p))
              (v128.load (i32.add (local.get $s3) (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $vLoop))))
          (else (block $sDone (loop $sLoop
            (br_if $sDone (i32.ge_u (local.get $p) (local.get $bytes)))
            (f32.store (i32.add (local.get $d3) (local.get $p))
              (f32.load (i32.add (local.get $s3) (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $sLoop)))))`;
  // Runs of exactly one vector (the partial-channel slices at C/K = 4) or one
  // float (the channel shuffle): one load and store per run, no run loop.
  const singleRuns = (type: "v128" | "f32") => `
          (local.set $i2 (i32.const 0))
          (local.set $s3 (local.get $s2))
          (local.set $d3 (local.get $d2))
          (block $singleDone (loop $singleLoop
            (br_if $singleDone (i32.ge_s (local.get $i2) (local.get $n2)))
            (${type}.store (local.get $d3) (${type}.load (local.get $s3)))
            (local.set $s3 (i32.add (local.get $s3) (local.get $ss2)))
            (local.set $d3 (i32.add (local.get $d3) (local.get $ds2)))
            (local.set $i2 (i32.add (local.get $i2) (i32.const 1)))
            (br $singleLoop)))`;
  const toBytes = ["ss0", "ss1", "ss2", "ds0", "ds1", "ds2"].map((name) =>
    `(local.set $${name} (i32.shl (local.get $${name}) (i32.const 2)))`
  ).join("\n    ");
  return `
  (func $copy_blocks (export "copy_blocks")
    (param $s0 i32) (param $d0 i32) (param $n0 i32) (param $n1 i32) (param $n2 i32)
    (param $len i32) (param $ss0 i32) (param $ss1 i32) (param $ss2 i32)
    (param $ds0 i32) (param $ds1 i32) (param $ds2 i32)
    (local $i0 i32) (local $i1 i32) (local $i2 i32) (local $p i32)
    (local $s1 i32) (local $s2 i32) (local $s3 i32)
    (local $d1 i32) (local $d2 i32) (local $d3 i32)
    (local $bytes i32) (local $vector i32)
    ${toBytes}
    (local.set $bytes (i32.shl (local.get $len) (i32.const 2)))
    (local.set $vector (i32.eqz (i32.and (local.get $len) (i32.const 3))))
    ${
    level(
      0,
      level(
        1,
        `(if (i32.eq (local.get $len) (i32.const 4))
          (then ${singleRuns("v128")})
          (else (if (i32.eq (local.get $len) (i32.const 1))
            (then ${singleRuns("f32")})
            (else ${level(2, run)}))))`,
      ),
    )
  }
  )`;
}

/**
 * The 4×4 transpose of four `v128` rows (expressions) through the locals
 * `$t0`-`$t3`: the statements that set them, and the four columns (column
 * `j` holds lane `j` of every row, in row order), eight shuffles in all.
 */
export function quadTranspose(
  rows: [string, string, string, string],
): { setup: string; columns: [string, string, string, string] } {
  // Lanes as bytes: a lane l of the first operand is bytes 4l..4l+3, of the
  // second 16+4l..16+4l+3.
  const lanes = (...l: number[]) =>
    l.flatMap((x) => [4 * x, 4 * x + 1, 4 * x + 2, 4 * x + 3]).join(" ");
  const low = lanes(0, 4, 1, 5); // (a0 b0 a1 b1)
  const high = lanes(2, 6, 3, 7); // (a2 b2 a3 b3)
  const firstHalves = lanes(0, 1, 4, 5); // (x0 x1 y0 y1)
  const secondHalves = lanes(2, 3, 6, 7); // (x2 x3 y2 y3)
  const [r0, r1, r2, r3] = rows;
  return {
    setup: `
        (local.set $t0 (i8x16.shuffle ${low} ${r0} ${r1}))
        (local.set $t1 (i8x16.shuffle ${high} ${r0} ${r1}))
        (local.set $t2 (i8x16.shuffle ${low} ${r2} ${r3}))
        (local.set $t3 (i8x16.shuffle ${high} ${r2} ${r3}))`,
    columns: [
      `(i8x16.shuffle ${firstHalves} (local.get $t0) (local.get $t2))`,
      `(i8x16.shuffle ${secondHalves} (local.get $t0) (local.get $t2))`,
      `(i8x16.shuffle ${firstHalves} (local.get $t1) (local.get $t3))`,
      `(i8x16.shuffle ${secondHalves} (local.get $t1) (local.get $t3))`,
    ],
  };
}

/**
 * `transpose_v(src, dst, rows, cols)`: `dst[j, i] = src[i, j]` for a
 * `[rows, cols]` matrix, both divisible by 4, in 4×4 blocks: four rows loaded
 * as vectors, turned by eight shuffles, stored as four columns. Each source
 * row is read once in order, and each output row is written 16 bytes at a
 * time ([65536, 64]: 8.4 ms, against 17 for single-float copies and 56 for
 * tfjs' `Transpose`).
 */
function transpose(): string {
  const row = (k: number) =>
    `(v128.load (i32.add (local.get $ps) (i32.mul (local.get $rowBytes) (i32.const ${k}))))`;
  const store = (k: number, value: string) =>
    `(v128.store (i32.add (local.get $pd) (i32.mul (local.get $colBytes) (i32.const ${k}))) ${value})`;
  const quad = quadTranspose([
    "(local.get $r0)",
    "(local.get $r1)",
    "(local.get $r2)",
    "(local.get $r3)",
  ]);
  return `
  (func $transpose_v (export "transpose_v") (param $src i32) (param $dst i32) (param $rows i32) (param $cols i32)
    (local $i i32) (local $j i32) (local $ps i32) (local $pd i32)
    (local $rowBytes i32) (local $colBytes i32)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $colBytes (i32.shl (local.get $rows) (i32.const 2)))
    (block $iDone (loop $iLoop
      (br_if $iDone (i32.ge_u (local.get $i) (local.get $rows)))
      (local.set $j (i32.const 0))
      (block $jDone (loop $jLoop
        (br_if $jDone (i32.ge_u (local.get $j) (local.get $cols)))
        (local.set $ps (i32.add (local.get $src)
          (i32.shl (i32.add (i32.mul (local.get $i) (local.get $cols)) (local.get $j)) (i32.const 2))))
        (local.set $pd (i32.add (local.get $dst)
          (i32.shl (i32.add (i32.mul (local.get $j) (local.get $rows)) (local.get $i)) (i32.const 2))))
        (local.set $r0 ${row(0)})
        (local.set $r1 ${row(1)})
        (local.set $r2 ${row(2)})
        (local.set $r3 ${row(3)})
        ${quad.setup}
        ${quad.columns.map((column, k) => store(k, column)).join("\n")}
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $jLoop)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $iLoop))))`;
}

/** `zero(dst, count)`: count floats of zeros. */
function zero(): string {
  return `
  (func $zero (export "zero") (param $dst i32) (param $count i32)
    (memory.fill (local.get $dst) (i32.const 0) (i32.shl (local.get $count) (i32.const 2))))`;
}

/**
 * `sum2(a, b, out, n)`: `out = (0 + a) + b`, the first two terms of a sum as
 * tfjs' `AddN` makes it (from zero, so that `-0` terms sum to `+0`); `axpy`
 * with `s = 1` adds the others.
 */
function sum2(): string {
  return `
  (func $sum2 (export "sum2") (param $pa i32) (param $pb i32) (param $po i32) (param $n i32)
    (local $vectorEnd i32) (local $end i32)
    (local.set $end (i32.add (local.get $pa) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vectorEnd (i32.add (local.get $pa) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.ge_u (local.get $pa) (local.get $vectorEnd)))
      (v128.store (local.get $po) (f32x4.add
        (f32x4.add (v128.const f32x4 0 0 0 0) (v128.load (local.get $pa)))
        (v128.load (local.get $pb))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 16)))
      (local.set $po (i32.add (local.get $po) (i32.const 16)))
      (br $vLoop)))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $pa) (local.get $end)))
      (f32.store (local.get $po) (f32.add
        (f32.add (f32.const 0) (f32.load (local.get $pa)))
        (f32.load (local.get $pb))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 4)))
      (local.set $po (i32.add (local.get $po) (i32.const 4)))
      (br $sLoop))))`;
}

/**
 * `scale(x, out, n, s)`: `out = x·s`; `axpy(x, out, n, s)`: `out += x·s`
 * (`out` may be `x`).
 */
function scaleKernels(): string {
  const kernel = (name: string, accumulate: boolean) => {
    const vector = accumulate
      ? `(f32x4.add (v128.load (local.get $po)) (f32x4.mul (v128.load (local.get $px)) (local.get $sv)))`
      : `(f32x4.mul (v128.load (local.get $px)) (local.get $sv))`;
    const scalar = accumulate
      ? `(f32.add (f32.load (local.get $po)) (f32.mul (f32.load (local.get $px)) (local.get $s)))`
      : `(f32.mul (f32.load (local.get $px)) (local.get $s))`;
    return `
  (func $${name} (export "${name}") (param $px i32) (param $po i32) (param $n i32) (param $s f32)
    (local $sv v128) (local $vectorEnd i32) (local $end i32)
    (local.set $sv (f32x4.splat (local.get $s)))
    (local.set $end (i32.add (local.get $px) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vectorEnd (i32.add (local.get $px) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.ge_u (local.get $px) (local.get $vectorEnd)))
      (v128.store (local.get $po) ${vector})
      (local.set $px (i32.add (local.get $px) (i32.const 16)))
      (local.set $po (i32.add (local.get $po) (i32.const 16)))
      (br $vLoop)))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $px) (local.get $end)))
      (f32.store (local.get $po) ${scalar})
      (local.set $px (i32.add (local.get $px) (i32.const 4)))
      (local.set $po (i32.add (local.get $po) (i32.const 4)))
      (br $sLoop))))`;
  };
  return kernel("scale", false) + kernel("axpy", true);
}

/** `dot(x, y, n)`: `Σ x·y` with the products and sums in doubles. */
function dot(): string {
  const low = (v: string) => `(f64x2.promote_low_f32x4 ${v})`;
  const high = (v: string) =>
    `(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v} ${v}))`;
  return `
  (func $dot (export "dot") (param $px i32) (param $py i32) (param $n i32) (result f64)
    (local $a v128) (local $b v128) (local $lo v128) (local $hi v128)
    (local $vectorEnd i32) (local $end i32) (local $sum f64)
    (local.set $end (i32.add (local.get $px) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $vectorEnd (i32.add (local.get $px) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.ge_u (local.get $px) (local.get $vectorEnd)))
      (local.set $a (v128.load (local.get $px)))
      (local.set $b (v128.load (local.get $py)))
      (local.set $lo (f64x2.add (local.get $lo) (f64x2.mul ${
    low("(local.get $a)")
  } ${low("(local.get $b)")})))
      (local.set $hi (f64x2.add (local.get $hi) (f64x2.mul ${
    high("(local.get $a)")
  } ${high("(local.get $b)")})))
      (local.set $px (i32.add (local.get $px) (i32.const 16)))
      (local.set $py (i32.add (local.get $py) (i32.const 16)))
      (br $vLoop)))
    (local.set $lo (f64x2.add (local.get $lo) (local.get $hi)))
    (local.set $sum (f64.add (f64x2.extract_lane 0 (local.get $lo)) (f64x2.extract_lane 1 (local.get $lo))))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $px) (local.get $end)))
      (local.set $sum (f64.add (local.get $sum) (f64.mul
        (f64.promote_f32 (f32.load (local.get $px))) (f64.promote_f32 (f32.load (local.get $py))))))
      (local.set $px (i32.add (local.get $px) (i32.const 4)))
      (local.set $py (i32.add (local.get $py) (i32.const 4)))
      (br $sLoop)))
    (local.get $sum))`;
}

/**
 * The loops of a pooling kernel over images, output pixels and channel groups
 * (`$go`, `bytes` per group), with each window clamped to the image
 * (`$y0..$y1`, `$x0..$x1`) and scanned in row-major order: `$p` walks the
 * window's pixels in tensor `source`; `$q` walks the output side from
 * `outputStart`, one group per step. `groupStart`/`groupEnd` run per window
 * and group, `perPixel` per window pixel. The caller declares the locals
 * listed in `WINDOW_LOCALS` and `$pixelBytes`.
 */
function windowLoops(
  source: string,
  outputStart: string,
  bytes: number,
  groupStart: string,
  perPixel: string,
  groupEnd: string,
): string {
  return `
    (local.set $q ${outputStart})
    (local.set $bi (i32.const 0))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_s (local.get $bi) (local.get $n)))
      (local.set $oy (i32.const 0))
      (block $oyDone (loop $oyLoop
        (br_if $oyDone (i32.ge_s (local.get $oy) (local.get $oh)))
        (local.set $y0 (i32.sub (i32.mul (local.get $oy) (local.get $stride)) (local.get $padding)))
        (local.set $y1 (i32.add (local.get $y0) (local.get $kernel)))
        (if (i32.lt_s (local.get $y0) (i32.const 0)) (then (local.set $y0 (i32.const 0))))
        (if (i32.gt_s (local.get $y1) (local.get $h)) (then (local.set $y1 (local.get $h))))
        (local.set $ox (i32.const 0))
        (block $oxDone (loop $oxLoop
          (br_if $oxDone (i32.ge_s (local.get $ox) (local.get $ow)))
          (local.set $x0 (i32.sub (i32.mul (local.get $ox) (local.get $stride)) (local.get $padding)))
          (local.set $x1 (i32.add (local.get $x0) (local.get $kernel)))
          (if (i32.lt_s (local.get $x0) (i32.const 0)) (then (local.set $x0 (i32.const 0))))
          (if (i32.gt_s (local.get $x1) (local.get $w)) (then (local.set $x1 (local.get $w))))
          (local.set $go (i32.const 0))
          (block $gDone (loop $gLoop
            (br_if $gDone (i32.ge_u (local.get $go) (local.get $pixelBytes)))
            ${groupStart}
            (local.set $yy (local.get $y0))
            (block $yyDone (loop $yyLoop
              (br_if $yyDone (i32.ge_s (local.get $yy) (local.get $y1)))
              (local.set $p (i32.add (i32.add (local.get ${source}) (local.get $go))
                (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $bi) (local.get $h)) (local.get $yy)) (local.get $w)) (local.get $x0))
                  (local.get $pixelBytes))))
              (local.set $xx (local.get $x0))
              (block $xxDone (loop $xxLoop
                (br_if $xxDone (i32.ge_s (local.get $xx) (local.get $x1)))
                ${perPixel}
                (local.set $p (i32.add (local.get $p) (local.get $pixelBytes)))
                (local.set $xx (i32.add (local.get $xx) (i32.const 1)))
                (br $xxLoop)))
              (local.set $yy (i32.add (local.get $yy) (i32.const 1)))
              (br $yyLoop)))
            ${groupEnd}
            (local.set $q (i32.add (local.get $q) (i32.const ${bytes})))
            (local.set $go (i32.add (local.get $go) (i32.const ${bytes})))
            (br $gLoop)))
          (local.set $ox (i32.add (local.get $ox) (i32.const 1)))
          (br $oxLoop)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyLoop)))
      (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
      (br $bLoop)))`;
}

const WINDOW_PARAMETERS = `
    (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (param $oh i32) (param $ow i32) (param $kernel i32) (param $stride i32) (param $padding i32)`;

const WINDOW_LOCALS = `
    (local $bi i32) (local $oy i32) (local $ox i32) (local $go i32)
    (local $y0 i32) (local $y1 i32) (local $x0 i32) (local $x1 i32) (local $yy i32) (local $xx i32)
    (local $pixelBytes i32) (local $q i32) (local $p i32)`;

/** Zeroes the `[n, h, w, c]` tensor at `pointer` (`$pixelBytes` set). */
function zeroImage(pointer: string): string {
  return `(memory.fill (local.get ${pointer}) (i32.const 0)
      (i32.mul (i32.mul (i32.mul (local.get $n) (local.get $h)) (local.get $w)) (local.get $pixelBytes)))`;
}

/**
 * `maxpool_grad_v|s(x, dy, dx, n, h, w, c, oh, ow, kernel, stride, padding)`:
 * each window's first maximum (row-major scan; the padding is −∞) receives
 * the upstream gradient. `_v` takes channel counts divisible by 4. The index
 * kept is the maximum's twin in dx (`$p + $toDx`).
 */
function maxPoolGrad(vector: boolean): string {
  const lanes = vector ? 4 : 1;
  const compare = vector
    ? `
                (local.set $v (v128.load (local.get $p)))
                (local.set $mask (f32x4.gt (local.get $v) (local.get $best)))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $mask)))
                (local.set $index (v128.bitselect
                  (i32x4.add (i32x4.splat (i32.add (local.get $p) (local.get $toDx))) (v128.const i32x4 0 4 8 12))
                  (local.get $index) (local.get $mask)))`
    : `
                (if (f32.gt (f32.load (local.get $p)) (local.get $bestS)) (then
                  (local.set $bestS (f32.load (local.get $p)))
                  (local.set $indexS (i32.add (local.get $p) (local.get $toDx)))))`;
  // The window's first pixel in dx, the index of an all −∞ window.
  const first = `(i32.add (i32.add (local.get $dx) (local.get $go))
              (i32.mul (i32.add (i32.mul (i32.add (i32.mul (local.get $bi) (local.get $h)) (local.get $y0)) (local.get $w)) (local.get $x0))
                (local.get $pixelBytes)))`;
  const start = vector
    ? `(local.set $best (v128.const f32x4 -inf -inf -inf -inf))
            (local.set $index (i32x4.add (i32x4.splat ${first}) (v128.const i32x4 0 4 8 12)))`
    : `(local.set $bestS (f32.const -inf))
            (local.set $indexS ${first})`;
  const scatterLane = (lane: number) => `
            (local.set $target (i32x4.extract_lane ${lane} (local.get $index)))
            (f32.store (local.get $target) (f32.add (f32.load (local.get $target))
              (f32.load (i32.add (local.get $q) (i32.const ${4 * lane})))))`;
  const scatter = vector ? [0, 1, 2, 3].map(scatterLane).join("") : `
            (f32.store (local.get $indexS) (f32.add (f32.load (local.get $indexS))
              (f32.load (local.get $q))))`;
  const name = `maxpool_grad_${vector ? "v" : "s"}`;
  return `
  (func $${name} (export "${name}")
    (param $x i32) (param $dy i32) (param $dx i32)
    ${WINDOW_PARAMETERS}
    ${WINDOW_LOCALS}
    (local $target i32) (local $toDx i32)
    (local $v v128) (local $mask v128) (local $best v128) (local $index v128)
    (local $bestS f32) (local $indexS i32)
    (local.set $toDx (i32.sub (local.get $dx) (local.get $x)))
    (local.set $pixelBytes (i32.shl (local.get $c) (i32.const 2)))
    ${zeroImage("$dx")}
    ${windowLoops("$x", "(local.get $dy)", 4 * lanes, start, compare, scatter)}
  )`;
}

/**
 * `maxpool_forward_v|s(x, y, n, h, w, c, oh, ow, kernel, stride, padding)`:
 * each window's maximum over its in-bounds pixels, a NaN winning as in
 * PyTorch (a row-major scan keeping a value greater than the best, or NaN).
 * Maxima are exact, so the values are XNNPACK's; only which zero of a +0/−0
 * tie is kept may differ. `_v` takes channel counts divisible by 4.
 */
function maxPoolForward(vector: boolean): string {
  const start = vector
    ? "(local.set $best (v128.const f32x4 -inf -inf -inf -inf))"
    : "(local.set $bestS (f32.const -inf))";
  const compare = vector
    ? `
                (local.set $v (v128.load (local.get $p)))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best)
                  (v128.or (f32x4.gt (local.get $v) (local.get $best))
                    (f32x4.ne (local.get $v) (local.get $v)))))`
    : `
                (local.set $s (f32.load (local.get $p)))
                (if (i32.or (f32.gt (local.get $s) (local.get $bestS))
                    (f32.ne (local.get $s) (local.get $s)))
                  (then (local.set $bestS (local.get $s))))`;
  const store = vector
    ? "(v128.store (local.get $q) (local.get $best))"
    : "(f32.store (local.get $q) (local.get $bestS))";
  const name = `maxpool_forward_${vector ? "v" : "s"}`;
  return `
  (func $${name} (export "${name}")
    (param $input i32) (param $out i32)
    ${WINDOW_PARAMETERS}
    ${WINDOW_LOCALS}
    (local $v v128) (local $best v128) (local $s f32) (local $bestS f32)
    (local.set $pixelBytes (i32.shl (local.get $c) (i32.const 2)))
    ${
    windowLoops(
      "$input",
      "(local.get $out)",
      vector ? 16 : 4,
      start,
      compare,
      store,
    )
  }
  )`;
}

/**
 * `avgpool_forward_v|s(x, y, n, h, w, c, oh, ow, kernel, stride, padding)`:
 * each window's mean over its in-bounds pixels (PyTorch's
 * `count_include_pad=False`); `avgpool_grad_v|s(dy, dx, …)`: each window's
 * upstream gradient divided by that count, added to its in-bounds pixels.
 * `_v` takes channel counts divisible by 4.
 */
function averagePool(mode: "forward" | "grad", vector: boolean): string {
  const type = vector ? "v128" : "f32";
  const load = vector ? "v128.load" : "f32.load";
  const store = vector ? "v128.store" : "f32.store";
  const add = vector ? "f32x4.add" : "f32.add";
  const mul = vector ? "f32x4.mul" : "f32.mul";
  const zero = vector ? "(v128.const f32x4 0 0 0 0)" : "(f32.const 0)";
  const inverseCount = `(f32.div (f32.const 1) (f32.convert_i32_s (i32.mul
              (i32.sub (local.get $y1) (local.get $y0)) (i32.sub (local.get $x1) (local.get $x0)))))`;
  const scale = vector ? `(f32x4.splat ${inverseCount})` : inverseCount;
  // $q: the output-side pixel (y or dy); $p: the window pixel (x or dx).
  const groupStart = mode === "forward"
    ? `(local.set $acc ${zero})`
    : `(local.set $acc (${mul} (${load} (local.get $q)) ${scale}))`;
  const perPixel = mode === "forward"
    ? `(local.set $acc (${add} (local.get $acc) (${load} (local.get $p))))`
    : `(${store} (local.get $p) (${add} (${load} (local.get $p)) (local.get $acc)))`;
  const groupEnd = mode === "forward"
    ? `(${store} (local.get $q) (${mul} (local.get $acc) ${scale}))`
    : "";
  // Parameters: forward (x, y, …), gradient (dy, dx, …); $input is x or dx.
  const [first, second] = mode === "forward"
    ? ["$input", "$out"]
    : ["$out", "$input"];
  const name = `avgpool_${mode}_${vector ? "v" : "s"}`;
  return `
  (func $${name} (export "${name}")
    (param ${first} i32) (param ${second} i32)
    ${WINDOW_PARAMETERS}
    ${WINDOW_LOCALS}
    (local $acc ${type})
    (local.set $pixelBytes (i32.shl (local.get $c) (i32.const 2)))
    ${mode === "grad" ? zeroImage("$input") : ""}
    ${
    windowLoops(
      "$input",
      "(local.get $out)",
      vector ? 16 : 4,
      groupStart,
      perPixel,
      groupEnd,
    )
  }
  )`;
}

/**
 * `relu(x, out, n)`: `out = max(x, 0)`; `relu_grad(x, dy, dx, n)`: `dx = dy`
 * where `x > 0`, else 0 (PyTorch's rule at 0).
 */
function relu(): string {
  const loop = (
    name: string,
    params: string,
    vector: string,
    scalar: string,
  ) => `
  (func $${name} (export "${name}") ${params} (param $n i32)
    (local $i i32) (local $vectorEnd i32) (local $end i32)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (local.set $vectorEnd (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2)))
    (block $vDone (loop $vLoop
      (br_if $vDone (i32.ge_u (local.get $i) (local.get $vectorEnd)))
      ${vector}
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br $vLoop)))
    (block $sDone (loop $sLoop
      (br_if $sDone (i32.ge_u (local.get $i) (local.get $end)))
      ${scalar}
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $sLoop))))`;
  const at = (pointer: string) =>
    `(i32.add (local.get ${pointer}) (local.get $i))`;
  return loop(
    "relu",
    "(param $x i32) (param $out i32)",
    `(v128.store ${at("$out")} (f32x4.max (v128.load ${
      at("$x")
    }) (v128.const f32x4 0 0 0 0)))`,
    `(f32.store ${at("$out")} (f32.max (f32.load ${at("$x")}) (f32.const 0)))`,
  ) + loop(
    "relu_grad",
    "(param $x i32) (param $dy i32) (param $dx i32)",
    `(v128.store ${at("$dx")} (v128.and (v128.load ${at("$dy")})
        (f32x4.gt (v128.load ${at("$x")}) (v128.const f32x4 0 0 0 0))))`,
    `(f32.store ${at("$dx")} (select (f32.load ${at("$dy")}) (f32.const 0)
        (f32.gt (f32.load ${at("$x")}) (f32.const 0))))`,
  );
}

/** The functions of this file, for the kernels module. */
export function layoutKernelText(): string[] {
  return [
    copyBlocks(),
    transpose(),
    zero(),
    scaleKernels(),
    sum2(),
    dot(),
    maxPoolForward(true),
    maxPoolForward(false),
    maxPoolGrad(true),
    maxPoolGrad(false),
    averagePool("forward", true),
    averagePool("forward", false),
    averagePool("grad", true),
    averagePool("grad", false),
    relu(),
  ];
}
