/**
 * The WebAssembly text of the batch-norm kernels that run on the wasm
 * backend's heap (see `simd_kernels.ts`), for NHWC tensors whose channel count
 * is divisible by 4 (four channels per vector) or, the `_d` flavour, by 2 (two
 * channels per half vector: the `Hi` halves left out), everything in doubles
 * (float64 arrays in the heap) and rounded to float32 once per output element.
 * Each channel's sums run over the pixels in order, whatever the flavour.
 * Arguments: `pixels` = N·H·W, `c` channels.
 */

/** The flavour: four channels a group (`v128`) or two (`_d`, 64 bits). */
interface Groups {
  /** Name suffix. */
  suffix: string;
  /** Bytes of float32 channels a group. */
  bytes: number;
  /** Loads a group's float32 channels. */
  load: string;
  /** Whether a group has a high half (channels 2-3). */
  high: boolean;
}

const QUADS: Groups = { suffix: "", bytes: 16, load: "v128.load", high: true };
const DUOS: Groups = {
  suffix: "_d",
  bytes: 8,
  load: "v128.load64_zero",
  high: false,
};

const LOW = (v: string) => `(f64x2.promote_low_f32x4 ${v})`;
const HIGH = (v: string) =>
  `(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v} ${v}))`;

/**
 * A loop over channel groups (`$go`: byte offset of the group in a pixel,
 * `$gd`: in a float64 array) and, inside, over pixels (`$p` from `$start`,
 * stepping a pixel), running `body` per pixel; `before`/`after` run per group.
 */
function groupsAndPixels(
  g: Groups,
  before: string,
  body: string,
  after: string,
  fromCurrentGroup = false,
): string {
  return `
    (local.set $pixelBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $arrayBytes (i32.shl (local.get $pixelBytes) (i32.const 1)))
    (local.set $end (i32.mul (local.get $pixels) (local.get $pixelBytes)))
    ${fromCurrentGroup ? "" : "(local.set $go (i32.const 0))"}
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
      (local.set $go (i32.add (local.get $go) (i32.const ${g.bytes})))
      (br $gLoop)))`;
}

/** Channel groups a block sweep (moments, backward sums, affine map) carries. */
const BLOCK = 4;

/**
 * Sweeps over the pixels carrying {@linkcode BLOCK} channel groups at once
 * (while that many remain from `$go`), each group's accumulators its own:
 * every channel's sum still runs over the pixels in order, but the tensor is
 * read once a block of groups, not once a group. `before(j)`, `body(j)` and
 * `after(j)` are group `j`'s parts (`$gd` is the block's first group in a
 * float64 array); leaves `$go` at the first group not swept.
 */
function blocksAndPixels(
  g: Groups,
  before: (j: number) => string,
  body: (j: number) => string,
  after: (j: number) => string,
): string {
  const each = (part: (j: number) => string) =>
    Array.from({ length: BLOCK }, (_, j) => part(j)).join("\n");
  return `
    (local.set $pixelBytes (i32.shl (local.get $c) (i32.const 2)))
    (local.set $arrayBytes (i32.shl (local.get $pixelBytes) (i32.const 1)))
    (local.set $end (i32.mul (local.get $pixels) (local.get $pixelBytes)))
    (local.set $go (i32.const 0))
    (block $bDone (loop $bLoop
      (br_if $bDone (i32.gt_u (i32.add (local.get $go) (i32.const ${
    BLOCK * g.bytes
  })) (local.get $pixelBytes)))
      (local.set $gd (i32.shl (local.get $go) (i32.const 1)))
      ${each(before)}
      (local.set $p (local.get $go))
      (block $bpDone (loop $bpLoop
        (br_if $bpDone (i32.ge_u (local.get $p) (local.get $end)))
        ${each(body)}
        (local.set $p (i32.add (local.get $p) (local.get $pixelBytes)))
        (br $bpLoop)))
      ${each(after)}
      (local.set $go (i32.add (local.get $go) (i32.const ${BLOCK * g.bytes})))
      (br $bLoop)))`;
}

/** Group `j`'s accumulators and centres in a block sweep. */
const blockLocals = Array.from(
  { length: BLOCK },
  (_, j) =>
    `(local $b${j}AccLo v128) (local $b${j}AccHi v128) (local $b${j}Acc2Lo v128) (local $b${j}Acc2Hi v128)
    (local $b${j}ALo v128) (local $b${j}AHi v128)`,
).join(" ");

const LOCALS = `
    ${blockLocals}
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
function moments(g: Groups): string {
  const hi = (text: string) => g.high ? text : "";
  // Group j of a block: its bytes in a pixel and in a float64 array.
  const xAt = (j: number) =>
    `(${g.load} (i32.add (local.get $x) (i32.add (local.get $p) (i32.const ${
      j * g.bytes
    }))))`;
  const statAt = (j: number, half: 0 | 1, variance: boolean) =>
    `(i32.add (local.get $stats) (i32.add ${
      variance
        ? "(i32.add (local.get $gd) (local.get $arrayBytes))"
        : "(local.get $gd)"
    } (i32.const ${2 * j * g.bytes + 16 * half})))`;
  const zero = (j: number) =>
    `(local.set $b${j}AccLo ${ZERO}) ${hi(`(local.set $b${j}AccHi ${ZERO})`)}`;
  const blockSum = (j: number) => `
        (local.set $v ${xAt(j)})
        (local.set $b${j}AccLo (f64x2.add (local.get $b${j}AccLo) ${
    LOW("(local.get $v)")
  }))
        ${
    hi(
      `(local.set $b${j}AccHi (f64x2.add (local.get $b${j}AccHi) ${
        HIGH("(local.get $v)")
      }))`,
    )
  }`;
  const blockMean = (j: number) => `
      (local.set $b${j}ALo (f64x2.div (local.get $b${j}AccLo) (local.get $count)))
      (v128.store ${statAt(j, 0, false)} (local.get $b${j}ALo))
      ${
    hi(
      `(local.set $b${j}AHi (f64x2.div (local.get $b${j}AccHi) (local.get $count)))
      (v128.store ${statAt(j, 1, false)} (local.get $b${j}AHi))`,
    )
  }`;
  const blockCentre = (j: number) =>
    `${zero(j)}
      (local.set $b${j}ALo (v128.load ${statAt(j, 0, false)}))
      ${hi(`(local.set $b${j}AHi (v128.load ${statAt(j, 1, false)}))`)}`;
  const blockDeviation = (j: number) => `
        (local.set $v ${xAt(j)})
        (local.set $lo (f64x2.sub ${
    LOW("(local.get $v)")
  } (local.get $b${j}ALo)))
        (local.set $b${j}AccLo (f64x2.add (local.get $b${j}AccLo) (f64x2.mul (local.get $lo) (local.get $lo))))
        ${
    hi(
      `(local.set $hi (f64x2.sub ${
        HIGH("(local.get $v)")
      } (local.get $b${j}AHi)))
        (local.set $b${j}AccHi (f64x2.add (local.get $b${j}AccHi) (f64x2.mul (local.get $hi) (local.get $hi))))`,
    )
  }`;
  const blockVariance = (j: number) => `
      (v128.store ${
    statAt(j, 0, true)
  } (f64x2.div (local.get $b${j}AccLo) (local.get $count)))
      ${
    hi(
      `(v128.store ${
        statAt(j, 1, true)
      } (f64x2.div (local.get $b${j}AccHi) (local.get $count)))`,
    )
  }`;
  const load = `(${g.load} (i32.add (local.get $x) (local.get $p)))`;
  const sumBody = `
        (local.set $v ${load})
        (local.set $accLo (f64x2.add (local.get $accLo) ${
    LOW("(local.get $v)")
  }))
        ${
    hi(
      `(local.set $accHi (f64x2.add (local.get $accHi) ${
        HIGH("(local.get $v)")
      }))`,
    )
  }`;
  const deviationBody = `
        (local.set $v ${load})
        (local.set $lo (f64x2.sub ${LOW("(local.get $v)")} (local.get $aLo)))
        (local.set $accLo (f64x2.add (local.get $accLo) (f64x2.mul (local.get $lo) (local.get $lo))))
        ${
    hi(`(local.set $hi (f64x2.sub ${HIGH("(local.get $v)")} (local.get $aHi)))
        (local.set $accHi (f64x2.add (local.get $accHi) (f64x2.mul (local.get $hi) (local.get $hi))))`)
  }`;
  return `
  (func $bn_moments${g.suffix} (export "bn_moments${g.suffix}") (param $x i32) (param $stats i32) (param $pixels i32) (param $c i32)
    ${LOCALS}
    (local.set $count (f64x2.splat (f64.convert_i32_u (local.get $pixels))))
    ;; The means: blocks of groups in one sweep each, then the groups left.
    ${blocksAndPixels(g, zero, blockSum, blockMean)}
    ${
    groupsAndPixels(
      g,
      `(local.set $accLo ${ZERO}) (local.set $accHi ${ZERO})`,
      sumBody,
      `(local.set $aLo (f64x2.div (local.get $accLo) (local.get $count)))
      (v128.store (i32.add (local.get $stats) (local.get $gd)) (local.get $aLo))
      ${
        hi(`(local.set $aHi (f64x2.div (local.get $accHi) (local.get $count)))
      (v128.store (i32.add (local.get $stats) (i32.add (local.get $gd) (i32.const 16))) (local.get $aHi))`)
      }`,
      true,
    )
  }
    ;; The variances, likewise.
    ${blocksAndPixels(g, blockCentre, blockDeviation, blockVariance)}
    ${
    groupsAndPixels(
      g,
      `(local.set $accLo ${ZERO}) (local.set $accHi ${ZERO})
      (local.set $aLo (v128.load (i32.add (local.get $stats) (local.get $gd))))
      ${
        hi(
          `(local.set $aHi (v128.load (i32.add (local.get $stats) (i32.add (local.get $gd) (i32.const 16)))))`,
        )
      }`,
      deviationBody,
      `(v128.store (i32.add (local.get $stats) (i32.add (local.get $gd) (local.get $arrayBytes)))
        (f64x2.div (local.get $accLo) (local.get $count)))
      ${
        hi(
          `(v128.store (i32.add (local.get $stats) (i32.add (i32.add (local.get $gd) (local.get $arrayBytes)) (i32.const 16)))
        (f64x2.div (local.get $accHi) (local.get $count)))`,
        )
      }`,
      true,
    )
  })`;
}

/**
 * `bn_backward_sums(dy, x, mean, sums, pixels, c)`: `sums[ch]` = Σ dy,
 * `sums[c + ch]` = Σ dy·(x − mean[ch]).
 */
function backwardSums(g: Groups): string {
  const hi = (text: string) => g.high ? text : "";
  // Group j of a block: its float32 channels in a pixel of `tensor`, and its
  // half `half` in a float64 array at `array` (`second`: the array's second
  // half, the Σ dy·(x − μ)).
  const at = (tensor: string, j: number) =>
    `(${g.load} (i32.add (local.get ${tensor}) (i32.add (local.get $p) (i32.const ${
      j * g.bytes
    }))))`;
  const slot = (array: string, j: number, half: 0 | 1, second: boolean) =>
    `(i32.add (local.get ${array}) (i32.add ${
      second
        ? "(i32.add (local.get $gd) (local.get $arrayBytes))"
        : "(local.get $gd)"
    } (i32.const ${2 * j * g.bytes + 16 * half})))`;
  const blockBefore = (j: number) => `
      (local.set $b${j}AccLo ${ZERO}) (local.set $b${j}Acc2Lo ${ZERO})
      (local.set $b${j}ALo (v128.load ${slot("$mean", j, 0, false)}))
      ${
    hi(`(local.set $b${j}AccHi ${ZERO}) (local.set $b${j}Acc2Hi ${ZERO})
      (local.set $b${j}AHi (v128.load ${slot("$mean", j, 1, false)}))`)
  }`;
  const blockBody = (j: number) => `
        (local.set $u ${at("$dy", j)})
        (local.set $v ${at("$x", j)})
        (local.set $lo ${LOW("(local.get $u)")})
        (local.set $b${j}AccLo (f64x2.add (local.get $b${j}AccLo) (local.get $lo)))
        (local.set $b${j}Acc2Lo (f64x2.add (local.get $b${j}Acc2Lo)
          (f64x2.mul (local.get $lo) (f64x2.sub ${
    LOW("(local.get $v)")
  } (local.get $b${j}ALo)))))
        ${
    hi(`(local.set $hi ${HIGH("(local.get $u)")})
        (local.set $b${j}AccHi (f64x2.add (local.get $b${j}AccHi) (local.get $hi)))
        (local.set $b${j}Acc2Hi (f64x2.add (local.get $b${j}Acc2Hi)
          (f64x2.mul (local.get $hi) (f64x2.sub ${
      HIGH("(local.get $v)")
    } (local.get $b${j}AHi)))))`)
  }`;
  const blockAfter = (j: number) => `
      (v128.store ${slot("$sums", j, 0, false)} (local.get $b${j}AccLo))
      (v128.store ${slot("$sums", j, 0, true)} (local.get $b${j}Acc2Lo))
      ${
    hi(`(v128.store ${slot("$sums", j, 1, false)} (local.get $b${j}AccHi))
      (v128.store ${slot("$sums", j, 1, true)} (local.get $b${j}Acc2Hi))`)
  }`;
  const body = `
        (local.set $u (${g.load} (i32.add (local.get $dy) (local.get $p))))
        (local.set $v (${g.load} (i32.add (local.get $x) (local.get $p))))
        (local.set $lo ${LOW("(local.get $u)")})
        (local.set $accLo (f64x2.add (local.get $accLo) (local.get $lo)))
        (local.set $acc2Lo (f64x2.add (local.get $acc2Lo)
          (f64x2.mul (local.get $lo) (f64x2.sub ${
    LOW("(local.get $v)")
  } (local.get $aLo)))))
        ${
    hi(`(local.set $hi ${HIGH("(local.get $u)")})
        (local.set $accHi (f64x2.add (local.get $accHi) (local.get $hi)))
        (local.set $acc2Hi (f64x2.add (local.get $acc2Hi)
          (f64x2.mul (local.get $hi) (f64x2.sub ${
      HIGH("(local.get $v)")
    } (local.get $aHi)))))`)
  }`;
  return `
  (func $bn_backward_sums${g.suffix} (export "bn_backward_sums${g.suffix}") (param $dy i32) (param $x i32) (param $mean i32) (param $sums i32)
    (param $pixels i32) (param $c i32)
    ${LOCALS}
    ;; Blocks of groups in one sweep each, then the groups left.
    ${blocksAndPixels(g, blockBefore, blockBody, blockAfter)}
    ${
    groupsAndPixels(
      g,
      `(local.set $accLo ${ZERO}) (local.set $accHi ${ZERO})
      (local.set $acc2Lo ${ZERO}) (local.set $acc2Hi ${ZERO})
      (local.set $aLo (v128.load (i32.add (local.get $mean) (local.get $gd))))
      ${
        hi(
          `(local.set $aHi (v128.load (i32.add (local.get $mean) (i32.add (local.get $gd) (i32.const 16)))))`,
        )
      }`,
      body,
      `(v128.store (i32.add (local.get $sums) (local.get $gd)) (local.get $accLo))
      (v128.store (i32.add (local.get $sums) (i32.add (local.get $gd) (local.get $arrayBytes))) (local.get $acc2Lo))
      ${
        hi(
          `(v128.store (i32.add (local.get $sums) (i32.add (local.get $gd) (i32.const 16))) (local.get $accHi))
      (v128.store (i32.add (local.get $sums) (i32.add (i32.add (local.get $gd) (local.get $arrayBytes)) (i32.const 16)))
        (local.get $acc2Hi))`,
        )
      }`,
      true,
    )
  })`;
}

/**
 * `bn_centered_affine(a, b, out, coef, pixels, c)`: `out = (a − coef[ch])·coef[c
 * + ch] + b·coef[2c + ch] + coef[3c + ch]`, `coef` a float64 array; `b` = 0
 * leaves out its term. Computed in doubles and rounded once: in float32 the
 * terms of the backward map (each as large as the upstream gradient) cancel to
 * a small difference and lose its leading digits, and a forward output near
 * zero can change sign, which flips the ReLU after it.
 */
function centeredAffine(g: Groups): string {
  const coefficient = (k: number, half: number) =>
    `(v128.load (i32.add (local.get $coef) (i32.add (i32.add (local.get $gd) (i32.const ${
      16 * half
    })) (i32.mul (local.get $arrayBytes) (i32.const ${k})))))`;
  const half = (
    part: (v: string) => string,
    suffix: string,
    withB: boolean,
  ) => {
    const target = suffix === "Lo" ? "$lo" : "$hi";
    return `
        (local.set ${target} (f64x2.add
          (f64x2.mul (f64x2.sub ${
      part("(local.get $v)")
    } (local.get $m${suffix})) (local.get $s${suffix}))
          (local.get $t${suffix})))
        ${
      withB
        ? `(local.set ${target} (f64x2.add (local.get ${target})
          (f64x2.mul ${part("(local.get $u)")} (local.get $b${suffix}))))`
        : ""
    }`;
  };
  const store = g.high
    ? `(v128.store (i32.add (local.get $out) (local.get $p))
          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
            (f32x4.demote_f64x2_zero (local.get $lo)) (f32x4.demote_f64x2_zero (local.get $hi))))`
    : `(v128.store64_lane 0 (i32.add (local.get $out) (local.get $p))
          (f32x4.demote_f64x2_zero (local.get $lo)))`;
  const body = (withB: boolean) => `
        (local.set $v (${g.load} (i32.add (local.get $a) (local.get $p))))
        ${
    withB
      ? `(local.set $u (${g.load} (i32.add (local.get $b) (local.get $p))))`
      : ""
  }
        ${half(LOW, "Lo", withB)}
        ${g.high ? half(HIGH, "Hi", withB) : ""}
        ${store}`;
  const coefficients = (suffix: string, h: number) =>
    (["m", "s", "b", "t"] as const).map((name, k) =>
      `(local.set $${name}${suffix} ${coefficient(k, h)})`
    ).join(" ");
  const before = coefficients("Lo", 0) + (g.high ? coefficients("Hi", 1) : "");
  // Group j of a block: its own coefficient locals, its channels `j` groups
  // on in a pixel and in the coefficient arrays.
  const inGroup = (text: string, j: number) =>
    text.replace(/\$([msbt])(Lo|Hi)\b/g, `$$q${j}$1$2`)
      .replaceAll(
        "(local.get $p)",
        `(i32.add (local.get $p) (i32.const ${j * g.bytes}))`,
      )
      .replaceAll(
        "(local.get $gd)",
        `(i32.add (local.get $gd) (i32.const ${2 * j * g.bytes}))`,
      );
  const groupLocals = Array.from(
    { length: BLOCK },
    (_, j) =>
      ["m", "s", "b", "t"].flatMap((name) =>
        ["Lo", "Hi"].map((half) => `(local $q${j}${name}${half} v128)`)
      ).join(" "),
  ).join("\n    ");
  const sweep = (withB: boolean) =>
    `${
      blocksAndPixels(
        g,
        (j) => inGroup(before, j),
        (j) => inGroup(body(withB), j),
        () => "",
      )
    }
      ${groupsAndPixels(g, before, body(withB), "", true)}`;
  return `
  (func $bn_centered_affine${g.suffix} (export "bn_centered_affine${g.suffix}") (param $a i32) (param $b i32) (param $out i32) (param $coef i32)
    (param $pixels i32) (param $c i32)
    ${LOCALS}
    (local $mLo v128) (local $mHi v128) (local $sLo v128) (local $sHi v128)
    ${groupLocals}
    ;; Blocks of groups in one sweep each, then the groups left.
    (if (i32.eqz (local.get $b))
      (then ${sweep(false)})
      (else ${sweep(true)})))`;
}

/** The functions of this file, for the kernels module. */
export function batchNormKernelText(): string[] {
  return [QUADS, DUOS].flatMap((g) => [
    moments(g),
    backwardSums(g),
    centeredAffine(g),
  ]);
}
