/**
 * The WebAssembly text of the convolution kernels that run on the wasm
 * backend's own heap (see `simd_kernels.ts`): depthwise convolution (forward, input gradient, filter gradient) and
 * the one-row matrix products of pointwise convolutions with column counts
 * not divisible by 4 (forward, filter gradient). Each depthwise kernel comes
 * in a vector flavour (`_v`, four float32 channels per `v128`, for channel
 * counts divisible by 4) and a scalar one (`_s`, any channel count). Pointers are byte offsets into the imported
 * memory; tensors are NHWC float32, filters `[kh, kw, c]`.
 *
 * The search network's convolutions have few channels (C/K: 2 to 16), where
 * XNNPACK's per-call set-up and channel tiles dominate and its depthwise
 * gradients have to be composed from forward calls; these loops touch each
 * element once per kernel tap with no set-up.
 */

interface Flavour {
  /** Suffix of the exported names. */
  suffix: string;
  /** Channels per vector. */
  lanes: number;
  /** Value type. */
  type: string;
  load: string;
  store: string;
  add: string;
  mul: string;
  zero: string;
  /** Broadcast a scalar f32 on the stack to the value type. */
  splat: string;
}

const VECTOR: Flavour = {
  suffix: "v",
  lanes: 4,
  type: "v128",
  load: "v128.load",
  store: "v128.store",
  add: "f32x4.add",
  mul: "f32x4.mul",
  zero: "(v128.const f32x4 0 0 0 0)",
  splat: "f32x4.splat",
};

/**
 * Two float32 channels in the low half of a `v128` (the upper two lanes stay
 * zero): for even channel counts not divisible by 4, one pass over a row
 * where the scalar flavour makes one per channel, strided. Each lane does the
 * scalar flavour's operations in its order, so the bits are the same.
 */
const DUO: Flavour = {
  suffix: "d",
  lanes: 2,
  type: "v128",
  load: "v128.load64_zero",
  store: "v128.store64_lane 0",
  add: "f32x4.add",
  mul: "f32x4.mul",
  zero: "(v128.const f32x4 0 0 0 0)",
  splat: "",
};

const SCALAR: Flavour = {
  suffix: "s",
  lanes: 1,
  type: "f32",
  load: "f32.load",
  store: "f32.store",
  add: "f32.add",
  mul: "f32.mul",
  zero: "(f32.const 0)",
  splat: "",
};

/** Which depthwise kernel: what `a`, `b` and `out` hold. */
type DepthwiseMode = "forward" | "inputGrad" | "filterGrad";

/**
 * The first and one-past-last output index `o` with `0 <= o·stride − t < size`
 * into locals `lo` and `hi` (`t` = padding − tap·dilation, may be negative;
 * the stride is `1 << $shift`, so no division).
 */
function validRange(
  t: string,
  size: string,
  outSize: string,
  lo: string,
  hi: string,
): string {
  return `
    ;; lo = t <= 0 ? 0 : ceil(t / stride)
    (local.set ${lo} (select (i32.const 0)
      (i32.shr_s (i32.add ${t} (i32.sub (local.get $stride) (i32.const 1))) (local.get $shift))
      (i32.le_s ${t} (i32.const 0))))
    ;; hi = min(outSize, floor((size - 1 + t) / stride) + 1), or 0 when size - 1 + t < 0
    (local.set ${hi} (select (i32.const 0)
      (i32.add (i32.shr_s (i32.add (i32.sub ${size} (i32.const 1)) ${t}) (local.get $shift)) (i32.const 1))
      (i32.lt_s (i32.add (i32.sub ${size} (i32.const 1)) ${t}) (i32.const 0))))
    (if (i32.gt_s (local.get ${hi}) ${outSize}) (then (local.set ${hi} ${outSize})))`;
}

/**
 * One depthwise kernel. Loops: channel group, image, output row, kernel row,
 * kernel column, output column — so that one output row and the input rows
 * under it stay in the L1 cache while every tap passes over them (tap-outer
 * passes over whole tensors were memory-bound at batch 64). The stride must be
 * a power of two (`$shift` = log2 stride).
 */
function depthwiseKernel(mode: DepthwiseMode, f: Flavour): string {
  const bytes = f.lanes * 4;
  // The innermost statement, per output pixel `po` (offset into out/dy) and
  // input pixel `pi` (offset into x/dx).
  const body = {
    forward: `(${f.store} (local.get $po) (${f.add} (${f.load} (local.get $po))
        (${f.mul} (${f.load} (local.get $pi)) (local.get $tap))))`,
    inputGrad:
      `(${f.store} (local.get $pi) (${f.add} (${f.load} (local.get $pi))
        (${f.mul} (${f.load} (local.get $po)) (local.get $tap))))`,
    filterGrad: `(local.set $tap (${f.add} (local.get $tap)
        (${f.mul} (${f.load} (local.get $pi)) (${f.load} (local.get $po)))))`,
  }[mode];
  // Where pixels live: output-side tensor (y or dy) and input-side (x or dx).
  const outputSide = mode === "forward"
    ? "$out"
    : mode === "inputGrad"
    ? "$a"
    : "$b";
  const inputSide = mode === "inputGrad" ? "$out" : "$a";
  const outputFloats = {
    forward:
      "(i32.mul (i32.mul (local.get $n) (i32.mul (local.get $oh) (local.get $ow))) (local.get $c))",
    inputGrad:
      "(i32.mul (i32.mul (local.get $n) (i32.mul (local.get $h) (local.get $w))) (local.get $c))",
    filterGrad:
      "(i32.mul (i32.mul (local.get $kh) (local.get $kw)) (local.get $c))",
  }[mode];
  const tapPointer =
    `(i32.add (i32.shl (i32.mul (i32.add (i32.mul (local.get $ky) (local.get $kw)) (local.get $kx)) (local.get $c)) (i32.const 2)) (local.get $go))`;
  const tapStart = mode === "filterGrad"
    ? `(local.set $tap ${f.zero})`
    : `(local.set $tap (${f.load} (i32.add (local.get $b) ${tapPointer})))`;
  const tapEnd = mode === "filterGrad"
    ? `(local.set $pt (i32.add (local.get $out) ${tapPointer}))
            (${f.store} (local.get $pt) (${f.add} (${f.load} (local.get $pt)) (local.get $tap)))`
    : "";
  /**
   * One pass over the input for one channel group, or for several
   * neighbouring groups at once (one accumulator each, their loads 16 bytes
   * apart): the filter gradient's sums are chains of dependent additions, and
   * independent chains keep the adder busy. Each group's sums keep their
   * order, so the bits do not change.
   */
  interface GroupPass {
    body: string;
    tapStart: string;
    tapEnd: string;
  }
  const singlePass: GroupPass = { body, tapStart, tapEnd };
  // Vector filter gradients take two groups a pass, then one (measured alone
  // on the heap: two 1.4-2.6x faster than one; four no faster than two).
  const widths = mode === "filterGrad" && f.lanes === 4 ? [2] : [];
  /** `width` groups a pass: accumulator `$tapG`, loads `16·G` bytes on. */
  const widePass = (width: number): GroupPass => {
    const group = (text: string, g: number) =>
      g === 0 ? text : text.replaceAll("$tap", `$tap${g}`).replaceAll(
        `(${f.load} (local.get $pi))`,
        `(${f.load} offset=${16 * g} (local.get $pi))`,
      ).replaceAll(
        `(${f.load} (local.get $po))`,
        `(${f.load} offset=${16 * g} (local.get $po))`,
      );
    const groups = Array.from({ length: width }, (_, g) => g);
    return {
      body: groups.map((g) => group(body, g)).join(`
                    `),
      tapStart: groups.map((g) => group(tapStart, g)).join(" "),
      tapEnd: `${tapEnd}${
        groups.slice(1).map((g) => `
            (${f.store} offset=${
          16 * g
        } (local.get $pt) (${f.add} (${f.load} offset=${
          16 * g
        } (local.get $pt)) (local.get $tap${g})))`).join("")
      }`,
    };
  };
  const groupPass = (pass: GroupPass) =>
    `      (local.set $bi (i32.const 0))
      (block $bDone (loop $bLoop
        (br_if $bDone (i32.ge_s (local.get $bi) (local.get $n)))
        (local.set $oy (i32.const 0))
        (block $oyDone (loop $oyLoop
          (br_if $oyDone (i32.ge_s (local.get $oy) (local.get $oh)))
          ;; outRow: output-side pixel (bi, oy, 0) + go
          (local.set $outRow (i32.add (i32.add (local.get ${outputSide})
            (i32.mul (i32.mul (i32.add (i32.mul (local.get $bi) (local.get $oh)) (local.get $oy)) (local.get $ow))
              (local.get $pixelBytes)))
            (local.get $go)))
          (local.set $ky (i32.const 0))
          (block $kyDone (loop $kyLoop
            (br_if $kyDone (i32.ge_s (local.get $ky) (local.get $kh)))
            (local.set $iy (i32.add (i32.sub (i32.shl (local.get $oy) (local.get $shift)) (local.get $padTop))
              (i32.mul (local.get $ky) (local.get $dilation))))
            (if (i32.lt_u (local.get $iy) (local.get $h)) (then
              ;; inRow: input-side pixel (bi, iy, 0) + go
              (local.set $inRow (i32.add (i32.add (local.get ${inputSide})
                (i32.mul (i32.mul (i32.add (i32.mul (local.get $bi) (local.get $h)) (local.get $iy)) (local.get $w))
                  (local.get $pixelBytes)))
                (local.get $go)))
              (local.set $kx (i32.const 0))
              (block $kxDone (loop $kxLoop
                (br_if $kxDone (i32.ge_s (local.get $kx) (local.get $kw)))
                (local.set $tx (i32.sub (local.get $padLeft) (i32.mul (local.get $kx) (local.get $dilation))))
                ${
      validRange(
        "(local.get $tx)",
        "(local.get $w)",
        "(local.get $ow)",
        "$oxLo",
        "$oxHi",
      )
    }
                (if (i32.lt_s (local.get $oxLo) (local.get $oxHi)) (then
                  ${pass.tapStart}
                  (local.set $po (i32.add (local.get $outRow) (i32.mul (local.get $oxLo) (local.get $pixelBytes))))
                  (local.set $pi (i32.add (local.get $inRow)
                    (i32.mul (i32.sub (i32.shl (local.get $oxLo) (local.get $shift)) (local.get $tx)) (local.get $pixelBytes))))
                  ;; two output pixels per iteration, then the odd one
                  (local.set $ox (i32.add (local.get $oxLo) (i32.const 1)))
                  (block $pairsDone (loop $pairs
                    (br_if $pairsDone (i32.ge_s (local.get $ox) (local.get $oxHi)))
                    ${pass.body}
                    ${
      pass.body.replaceAll(
        "(local.get $po)",
        "(i32.add (local.get $po) (local.get $pixelBytes))",
      ).replaceAll(
        "(local.get $pi)",
        "(i32.add (local.get $pi) (local.get $inStep))",
      )
    }
                    (local.set $po (i32.add (local.get $po) (i32.shl (local.get $pixelBytes) (i32.const 1))))
                    (local.set $pi (i32.add (local.get $pi) (i32.shl (local.get $inStep) (i32.const 1))))
                    (local.set $ox (i32.add (local.get $ox) (i32.const 2)))
                    (br $pairs)))
                  (if (i32.eq (local.get $ox) (local.get $oxHi)) (then ${pass.body}))
                  ${pass.tapEnd}))
                (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
                (br $kxLoop)))))
            (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
            (br $kyLoop)))
          (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
          (br $oyLoop)))
        (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
        (br $bLoop)))`;
  return `
  (func $depthwise_${mode}_${f.suffix} (export "depthwise_${mode}_${f.suffix}")
    (param $a i32) (param $b i32) (param $out i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (param $oh i32) (param $ow i32) (param $kh i32) (param $kw i32)
    (param $shift i32) (param $dilation i32) (param $padTop i32) (param $padLeft i32)
    (local $stride i32) (local $go i32) (local $ky i32) (local $kx i32) (local $ty i32) (local $tx i32)
    (local $iy i32) (local $oxLo i32) (local $oxHi i32)
    (local $bi i32) (local $oy i32) (local $ox i32) (local $po i32) (local $pi i32) (local $pt i32)
    (local $pixelBytes i32) (local $inStep i32) (local $outRow i32) (local $inRow i32)
    (local $tap ${f.type}) (local $tap1 ${f.type}) (local $tap2 ${f.type}) (local $tap3 ${f.type})
    (local.set $stride (i32.shl (i32.const 1) (local.get $shift)))
    (memory.fill (local.get $out) (i32.const 0) (i32.shl ${outputFloats} (i32.const 2)))
    (local.set $pixelBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $inStep (i32.shl (local.get $pixelBytes) (local.get $shift)))
    (local.set $go (i32.const 0))
    ${
    widths.map((width) =>
      `(block $wideDone${width} (loop $wide${width}
      (br_if $wideDone${width} (i32.gt_u (i32.add (local.get $go) (i32.const ${
        width * bytes
      })) (local.get $pixelBytes)))
${groupPass(widePass(width))}
      (local.set $go (i32.add (local.get $go) (i32.const ${width * bytes})))
      (br $wide${width})))`
    ).join("\n")
  }
    (block $groupsDone (loop $groups
      (br_if $groupsDone (i32.ge_u (local.get $go) (local.get $pixelBytes)))
${groupPass(singlePass)}
      (local.set $go (i32.add (local.get $go) (i32.const ${bytes})))
      (br $groups)))
  )`;
}

/**
 * The depthwise forward and input gradient for two channels at stride 1 (the
 * search network's first cells at C/K = 2), which the scalar kernel would run
 * channel by channel: here a `v128` holds two neighbouring pixels' two
 * channels and the tap `[w0, w1]` fills both halves, so a row takes a quarter
 * of the scalar kernel's operations. Each output element gets the same
 * products added in the same order as in {@linkcode depthwiseKernel} (taps
 * outer, then pixels), so the bits are the same. Loops and arguments as there;
 * `c` must be 2 and the stride 1. (The filter gradient sums over pixels, so
 * pairing pixels would change its order of sums: it takes the half-vector
 * flavour.) Its own loops rather than a flavour of `depthwiseKernel`: with the
 * pixel size and stride constant it runs 10-15 % faster (measured alone on the
 * heap) than the generic loops' shifts and channel-group pass let it.
 */
function depthwisePairKernel(mode: "forward" | "inputGrad"): string {
  // out/dy side and x/dx side, as in depthwiseKernel.
  const [target, source] = mode === "forward" ? ["$po", "$pi"] : ["$pi", "$po"];
  const outputSide = mode === "forward" ? "$out" : "$a";
  const inputSide = mode === "forward" ? "$a" : "$out";
  const outputFloats = mode === "forward"
    ? "(i32.mul (i32.mul (local.get $n) (i32.mul (local.get $oh) (local.get $ow))) (i32.const 2))"
    : "(i32.mul (i32.mul (local.get $n) (i32.mul (local.get $h) (local.get $w))) (i32.const 2))";
  const pair =
    `(v128.store (local.get ${target}) (f32x4.add (v128.load (local.get ${target}))
                      (f32x4.mul (v128.load (local.get ${source})) (local.get $tap))))`;
  const single = [0, 1].map((lane) =>
    `(f32.store offset=${
      4 * lane
    } (local.get ${target}) (f32.add (f32.load offset=${
      4 * lane
    } (local.get ${target}))
                      (f32.mul (f32.load offset=${
      4 * lane
    } (local.get ${source})) (f32x4.extract_lane ${lane} (local.get $tap)))))`
  ).join("\n                    ");
  return `
  (func $depthwise_${mode}_p (export "depthwise_${mode}_p")
    (param $a i32) (param $b i32) (param $out i32)
    (param $n i32) (param $h i32) (param $w i32) (param $c i32)
    (param $oh i32) (param $ow i32) (param $kh i32) (param $kw i32)
    (param $shift i32) (param $dilation i32) (param $padTop i32) (param $padLeft i32)
    (local $stride i32) (local $ky i32) (local $kx i32) (local $tx i32)
    (local $iy i32) (local $oxLo i32) (local $oxHi i32)
    (local $bi i32) (local $oy i32) (local $ox i32) (local $po i32) (local $pi i32)
    (local $outRow i32) (local $inRow i32) (local $tap v128)
    (local.set $stride (i32.const 1))
    (memory.fill (local.get $out) (i32.const 0) (i32.shl ${outputFloats} (i32.const 2)))
    (local.set $bi (i32.const 0))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.ge_s (local.get $bi) (local.get $n)))
      (local.set $oy (i32.const 0))
      (block $oyDone (loop $oyLoop
        (br_if $oyDone (i32.ge_s (local.get $oy) (local.get $oh)))
        (local.set $outRow (i32.add (local.get ${outputSide})
          (i32.shl (i32.mul (i32.add (i32.mul (local.get $bi) (local.get $oh)) (local.get $oy)) (local.get $ow))
            (i32.const 3))))
        (local.set $ky (i32.const 0))
        (block $kyDone (loop $kyLoop
          (br_if $kyDone (i32.ge_s (local.get $ky) (local.get $kh)))
          (local.set $iy (i32.add (i32.sub (local.get $oy) (local.get $padTop))
            (i32.mul (local.get $ky) (local.get $dilation))))
          (if (i32.lt_u (local.get $iy) (local.get $h)) (then
            (local.set $inRow (i32.add (local.get ${inputSide})
              (i32.shl (i32.mul (i32.add (i32.mul (local.get $bi) (local.get $h)) (local.get $iy)) (local.get $w))
                (i32.const 3))))
            (local.set $kx (i32.const 0))
            (block $kxDone (loop $kxLoop
              (br_if $kxDone (i32.ge_s (local.get $kx) (local.get $kw)))
              (local.set $tx (i32.sub (local.get $padLeft) (i32.mul (local.get $kx) (local.get $dilation))))
              ${
    validRange(
      "(local.get $tx)",
      "(local.get $w)",
      "(local.get $ow)",
      "$oxLo",
      "$oxHi",
    )
  }
              (if (i32.lt_s (local.get $oxLo) (local.get $oxHi)) (then
                (local.set $tap (v128.load64_splat (i32.add (local.get $b)
                  (i32.shl (i32.add (i32.mul (local.get $ky) (local.get $kw)) (local.get $kx)) (i32.const 3)))))
                (local.set $po (i32.add (local.get $outRow) (i32.shl (local.get $oxLo) (i32.const 3))))
                (local.set $pi (i32.add (local.get $inRow)
                  (i32.shl (i32.sub (local.get $oxLo) (local.get $tx)) (i32.const 3))))
                ;; two pixels per vector, then the odd one
                (local.set $ox (i32.add (local.get $oxLo) (i32.const 1)))
                (block $pairsDone (loop $pairs
                  (br_if $pairsDone (i32.ge_s (local.get $ox) (local.get $oxHi)))
                  ${pair}
                  (local.set $po (i32.add (local.get $po) (i32.const 16)))
                  (local.set $pi (i32.add (local.get $pi) (i32.const 16)))
                  (local.set $ox (i32.add (local.get $ox) (i32.const 2)))
                  (br $pairs)))
                (if (i32.eq (local.get $ox) (local.get $oxHi)) (then
                    ${single}))))
              (local.set $kx (i32.add (local.get $kx) (i32.const 1)))
              (br $kxLoop)))))
          (local.set $ky (i32.add (local.get $ky) (i32.const 1)))
          (br $kyLoop)))
        (local.set $oy (i32.add (local.get $oy) (i32.const 1)))
        (br $oyLoop)))
      (local.set $bi (i32.add (local.get $bi) (i32.const 1)))
      (br $bLoop)))
  )`;
}

/**
 * `out[p, :] = Σ_k a[p, k] · b[k, :]`: `a` is `[rows, inner]`, `b` `[inner,
 * cols]`, `out` `[rows, cols]` (vector flavour: cols divisible by 4).
 */
function matMulKernel(f: Flavour): string {
  const bytes = f.lanes * 4;
  const aValue = f.lanes === 1
    ? `(f32.load (local.get $pa))`
    : `(${f.splat} (f32.load (local.get $pa)))`;
  return `
  (func $matmul_${f.suffix} (export "matmul_${f.suffix}")
    (param $a i32) (param $b i32) (param $out i32)
    (param $rows i32) (param $inner i32) (param $cols i32)
    (local $p i32) (local $g i32) (local $k i32) (local $pa i32) (local $pb i32)
    (local $aRow i32) (local $po i32) (local $colBytes i32) (local $acc ${f.type})
    (local.set $colBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $aRow (local.get $a))
    (local.set $po (local.get $out))
    (local.set $p (i32.const 0))
    (block $pDone (loop $pLoop
      (br_if $pDone (i32.ge_s (local.get $p) (local.get $rows)))
      (local.set $g (i32.const 0))
      (block $gDone (loop $gLoop
        (br_if $gDone (i32.ge_u (local.get $g) (local.get $colBytes)))
        (local.set $acc ${f.zero})
        (local.set $pa (local.get $aRow))
        (local.set $pb (i32.add (local.get $b) (local.get $g)))
        (local.set $k (i32.const 0))
        (block $kDone (loop $kLoop
          (br_if $kDone (i32.ge_s (local.get $k) (local.get $inner)))
          (local.set $acc (${f.add} (local.get $acc) (${f.mul} ${aValue} (${f.load} (local.get $pb)))))
          (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
          (local.set $pb (i32.add (local.get $pb) (local.get $colBytes)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $kLoop)))
        (${f.store} (local.get $po) (local.get $acc))
        (local.set $po (i32.add (local.get $po) (i32.const ${bytes})))
        (local.set $g (i32.add (local.get $g) (i32.const ${bytes})))
        (br $gLoop)))
      (local.set $aRow (i32.add (local.get $aRow) (i32.shl (local.get $inner) (i32.const 2))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $pLoop)))
  )`;
}

/**
 * `out[k, :] = Σ_p a[p, k] · b[p, :]` (`aᵀ·b`): `a` is `[rows, inner]`, `b`
 * `[rows, cols]`, `out` `[inner, cols]` (vector flavour: cols divisible by 4).
 * Rows go in chunks of `chunk` that stay in the L1 cache while every
 * (k, column group) pass runs over them, adding into `out` (zeroed first):
 * whole-tensor passes are memory-bound (docs/performance.md, "Kernel
 * choices").
 */
function transposedMatMulKernel(f: Flavour): string {
  const bytes = f.lanes * 4;
  const aValue = f.lanes === 1
    ? `(f32.load (local.get $pa))`
    : `(${f.splat} (f32.load (local.get $pa)))`;
  return `
  (func $matmul_at_${f.suffix} (export "matmul_at_${f.suffix}")
    (param $a i32) (param $b i32) (param $out i32)
    (param $rows i32) (param $inner i32) (param $cols i32) (param $chunk i32)
    (local $p i32) (local $g i32) (local $k i32) (local $pa i32) (local $pb i32)
    (local $po i32) (local $colBytes i32) (local $innerBytes i32) (local $acc ${f.type})
    (local $start i32) (local $stop i32)
    (local.set $colBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $innerBytes (i32.shl (local.get $inner) (i32.const 2)))
    (memory.fill (local.get $out) (i32.const 0) (i32.mul (local.get $inner) (local.get $colBytes)))
    (local.set $start (i32.const 0))
    (block $chunksDone (loop $chunks
      (br_if $chunksDone (i32.ge_s (local.get $start) (local.get $rows)))
      (local.set $stop (i32.add (local.get $start) (local.get $chunk)))
      (if (i32.gt_s (local.get $stop) (local.get $rows)) (then (local.set $stop (local.get $rows))))
      (local.set $po (local.get $out))
      (local.set $k (i32.const 0))
      (block $kDone (loop $kLoop
        (br_if $kDone (i32.ge_s (local.get $k) (local.get $inner)))
        (local.set $g (i32.const 0))
        (block $gDone (loop $gLoop
          (br_if $gDone (i32.ge_u (local.get $g) (local.get $colBytes)))
          (local.set $acc (${f.load} (local.get $po)))
          (local.set $pa (i32.add (i32.add (local.get $a) (i32.mul (local.get $start) (local.get $innerBytes)))
            (i32.shl (local.get $k) (i32.const 2))))
          (local.set $pb (i32.add (i32.add (local.get $b) (i32.mul (local.get $start) (local.get $colBytes)))
            (local.get $g)))
          (local.set $p (local.get $start))
          (block $pDone (loop $pLoop
            (br_if $pDone (i32.ge_s (local.get $p) (local.get $stop)))
            (local.set $acc (${f.add} (local.get $acc) (${f.mul} ${aValue} (${f.load} (local.get $pb)))))
            (local.set $pa (i32.add (local.get $pa) (local.get $innerBytes)))
            (local.set $pb (i32.add (local.get $pb) (local.get $colBytes)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $pLoop)))
          (${f.store} (local.get $po) (local.get $acc))
          (local.set $po (i32.add (local.get $po) (i32.const ${bytes})))
          (local.set $g (i32.add (local.get $g) (i32.const ${bytes})))
          (br $gLoop)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br $kLoop)))
      (local.set $start (local.get $stop))
      (br $chunks)))
  )`;
}

/** The functions of this file, for the kernels module. */
export function convolutionKernelText(): string[] {
  const parts: string[] = [];
  for (const flavour of [VECTOR, SCALAR]) {
    for (const mode of ["forward", "inputGrad", "filterGrad"] as const) {
      parts.push(depthwiseKernel(mode, flavour));
    }
  }
  // The vector products are the register-blocked ones
  // (`product_kernel_text.ts`); these one-row ones serve odd column counts.
  parts.push(matMulKernel(SCALAR), transposedMatMulKernel(SCALAR));
  for (const mode of ["forward", "inputGrad", "filterGrad"] as const) {
    parts.push(depthwiseKernel(mode, DUO));
  }
  parts.push(depthwisePairKernel("forward"), depthwisePairKernel("inputGrad"));
  return parts;
}
