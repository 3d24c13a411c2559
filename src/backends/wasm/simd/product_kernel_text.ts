/**
 * The WebAssembly text of the register-blocked matrix products that run on
 * the wasm backend's own heap (see `simd_kernels.ts`): `a · b` (`gemm_v`) and
 * `aᵀ · b` (`gemm_at_v`), for column counts divisible by 4 and any inner
 * dimension. A block of 4 rows × 8 columns keeps 8 `v128` accumulators in
 * registers, so each loaded `b` vector serves 4 rows and each broadcast `a`
 * value 2 vectors (the one-row kernels `matmul_*` load both once per
 * multiply-add).
 *
 * Every output element is the sum over the inner index in increasing order,
 * from zero, one multiply and one add per term (WebAssembly has no fused
 * multiply-add), whatever block, remainder path or split computes it: the
 * same bits as the one-row kernels and as XNNPACK's products (tfjs'
 * `matMul` on wasm), which a test checks.
 */

/** Rows of `a · b` a block computes. */
const BLOCK_ROWS = 4;

/** Locals `$rowOffset{i}`: row i of a block lies i · innerBytes after row 0. */
function rowOffsetLocals(): string {
  return Array.from(
    { length: BLOCK_ROWS - 1 },
    (_, i) => `(local $rowOffset${i + 1} i32)`,
  ).join(" ");
}

function rowOffsetSets(): string {
  return Array.from(
    { length: BLOCK_ROWS - 1 },
    (_, i) =>
      `(local.set $rowOffset${
        i + 1
      } (i32.mul (local.get $innerBytes) (i32.const ${i + 1})))`,
  ).join("\n");
}

/** Bytes of a `v128`: four float32 columns. */
const VECTOR_BYTES = 16;

/** Accumulator local `c{row}{vector}`. */
const acc = (row: number, vector: number) => `$c${row}${vector}`;

/** Declares the accumulators of a block of `rows` × `vectors`. */
function accumulatorLocals(rows: number, vectors: number): string {
  const names: string[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < vectors; j++) names.push(`(local ${acc(i, j)} v128)`);
  }
  return names.join(" ");
}

/**
 * For each of `rows` rows: broadcast the `a` value `aValue(i)` (a `load32_splat`
 * of it) and add its products with the `vectors` loaded `b` vectors (`$b0`,
 * `$b1`) to the row's accumulators.
 */
function multiplyAdds(
  rows: number,
  vectors: number,
  aValue: (row: number) => string,
): string {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    lines.push(`(local.set $s ${aValue(i)})`);
    for (let j = 0; j < vectors; j++) {
      lines.push(
        `(local.set ${acc(i, j)} (f32x4.add (local.get ${
          acc(i, j)
        }) (f32x4.mul (local.get $s) (local.get $b${j}))))`,
      );
    }
  }
  return lines.join("\n");
}

/** Loads the `vectors` `b` vectors at `$pb`. */
function loadB(vectors: number): string {
  return Array.from(
    { length: vectors },
    (_, j) =>
      `(local.set $b${j} (v128.load offset=${
        j * VECTOR_BYTES
      } (local.get $pb)))`,
  ).join("\n");
}

/**
 * Stores (or, `load`, reads) the block's accumulators at `$po`, row `i` at
 * `$po + i · $colBytes`.
 */
function moveAccumulators(
  rows: number,
  vectors: number,
  load: boolean | "zero" | "add",
): string {
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) {
    const row = i === 0
      ? `(local.get $po)`
      : `(i32.add (local.get $po) (i32.mul (local.get $colBytes) (i32.const ${i})))`;
    for (let j = 0; j < vectors; j++) {
      const offset = `offset=${j * VECTOR_BYTES}`;
      lines.push(
        load === "zero"
          ? `(local.set ${acc(i, j)} (v128.const i32x4 0 0 0 0))`
          : load === "add"
          ? `(v128.store ${offset} ${row} (f32x4.add (v128.load ${offset} ${row}) (local.get ${
            acc(i, j)
          })))`
          : load
          ? `(local.set ${acc(i, j)} (v128.load ${offset} ${row}))`
          : `(v128.store ${offset} ${row} (local.get ${acc(i, j)}))`,
      );
    }
  }
  return lines.join("\n");
}

/**
 * `a · b` for the rows `$r .. $r + rows` and the column groups of
 * `vectors · 4` from byte `$g` on, while a whole group fits.
 */
function forwardBlock(rows: number, vectors: number, label: string): string {
  const zeros: string[] = [];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < vectors; j++) {
      zeros.push(
        `(local.set ${acc(i, j)} (v128.const f32x4 0 0 0 0))`,
      );
    }
  }
  // Row i of the block reads a at $pa + i · innerBytes.
  const aValue = (i: number) =>
    i === 0
      ? `(v128.load32_splat (local.get $pa))`
      : `(v128.load32_splat (i32.add (local.get $pa) (local.get $rowOffset${i})))`;
  const groupBytes = vectors * VECTOR_BYTES;
  return `
      (block $${label}Done (loop $${label}
        (br_if $${label}Done (i32.gt_u (i32.add (local.get $g) (i32.const ${groupBytes})) (local.get $colBytes)))
        ${zeros.join("\n")}
        (local.set $pa (local.get $aRow))
        (local.set $pb (i32.add (local.get $b) (local.get $g)))
        (local.set $k (i32.const 0))
        (block $${label}KDone (loop $${label}K
          (br_if $${label}KDone (i32.ge_s (local.get $k) (local.get $inner)))
          ${loadB(vectors)}
          ${multiplyAdds(rows, vectors, aValue)}
          (local.set $pa (i32.add (local.get $pa) (i32.const 4)))
          (local.set $pb (i32.add (local.get $pb) (local.get $colBytes)))
          (local.set $k (i32.add (local.get $k) (i32.const 1)))
          (br $${label}K)))
        (local.set $po (i32.add (local.get $outRow) (local.get $g)))
        ${moveAccumulators(rows, vectors, false)}
        (local.set $g (i32.add (local.get $g) (i32.const ${groupBytes})))
        (br $${label})))`;
}

/**
 * `out[p, :] = Σ_k a[p, k] · b[k, :]`: `a` is `[rows, inner]`, `b` `[inner,
 * cols]`, `out` `[rows, cols]`, cols divisible by 4. Blocks of 4 rows, then
 * one row at a time; in each, groups of 8 columns, then one of 4.
 */
function productKernel(): string {
  const rowStep = (rows: number, label: string) => `
    (block $${label}RowsDone (loop $${label}Rows
      (br_if $${label}RowsDone (i32.gt_s (i32.add (local.get $r) (i32.const ${rows})) (local.get $rows)))
      (local.set $g (i32.const 0))
      ${forwardBlock(rows, 2, `${label}Eight`)}
      ${forwardBlock(rows, 1, `${label}Four`)}
      (local.set $aRow (i32.add (local.get $aRow) (i32.mul (local.get $innerBytes) (i32.const ${rows}))))
      (local.set $outRow (i32.add (local.get $outRow) (i32.mul (local.get $colBytes) (i32.const ${rows}))))
      (local.set $r (i32.add (local.get $r) (i32.const ${rows})))
      (br $${label}Rows)))`;
  return `
  (func $gemm_v (export "gemm_v")
    (param $a i32) (param $b i32) (param $out i32)
    (param $rows i32) (param $inner i32) (param $cols i32)
    (local $r i32) (local $g i32) (local $k i32) (local $pa i32) (local $pb i32)
    (local $po i32) (local $aRow i32) (local $outRow i32)
    (local $colBytes i32) (local $innerBytes i32)
    ${rowOffsetLocals()}
    (local $s v128) (local $b0 v128) (local $b1 v128)
    ${accumulatorLocals(BLOCK_ROWS, 2)}
    (local.set $colBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $innerBytes (i32.shl (local.get $inner) (i32.const 2)))
    ${rowOffsetSets()}
    (local.set $aRow (local.get $a))
    (local.set $outRow (local.get $out))
    (local.set $r (i32.const 0))
    ${rowStep(BLOCK_ROWS, "block")}
    ${rowStep(1, "one")}
  )`;
}

/**
 * `aᵀ · b` for the output rows `$k .. $k + rows` (columns of `a`) and the
 * column groups of `vectors · 4` from byte `$g` on, over the rows of `a` and
 * `b` from `$start` to `$stop`: the accumulators are read from `out` and
 * written back, so that successive chunks continue each element's sum.
 */
function transposedBlock(
  rows: number,
  vectors: number,
  label: string,
  blocked: boolean,
): string {
  const groupBytes = vectors * VECTOR_BYTES;
  const aValue = (i: number) =>
    `(v128.load32_splat offset=${4 * i} (local.get $pa))`;
  return `
      (block $${label}Done (loop $${label}
        (br_if $${label}Done (i32.gt_u (i32.add (local.get $g) (i32.const ${groupBytes})) (local.get $colBytes)))
        (local.set $po (i32.add (local.get $outRow) (local.get $g)))
        ${moveAccumulators(rows, vectors, blocked ? "zero" : true)}
        (local.set $pa (i32.add (local.get $aChunk) (i32.shl (local.get $k) (i32.const 2))))
        (local.set $pb (i32.add (local.get $bChunk) (local.get $g)))
        (local.set $p (local.get $start))
        (block $${label}PDone (loop $${label}P
          (br_if $${label}PDone (i32.ge_s (local.get $p) (local.get $stop)))
          ${loadB(vectors)}
          ${multiplyAdds(rows, vectors, aValue)}
          (local.set $pa (i32.add (local.get $pa) (local.get $ldaBytes)))
          (local.set $pb (i32.add (local.get $pb) (local.get $colBytes)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br $${label}P)))
        ${moveAccumulators(rows, vectors, blocked ? "add" : false)}
        (local.set $g (i32.add (local.get $g) (i32.const ${groupBytes})))
        (br $${label})))`;
}

/**
 * `out[k, :] = Σ_p a[p, k] · b[p, :]` (`aᵀ · b`): `a` is `[rows, inner]` with
 * rows `lda` floats apart (`lda ≥ inner`: a split part reads some of the
 * columns), `b` `[rows, cols]`, `out` `[inner, cols]`, cols divisible by 4.
 * Rows go in chunks of `chunk` that stay in the cache while every block of
 * 4 (then 1) output rows × 8 (then 4) columns passes over them. `gemm_at_v`
 * continues each element's sum across chunks (one sum, row by row);
 * `gemm_at_blocked_v` sums each chunk from zero and adds it to the element,
 * the order of tfjs' wasm `BatchMatMul` with its first operand transposed at
 * a chunk of 48 (the same bits).
 */
function transposedProductKernel(blocked: boolean): string {
  const name = blocked ? "gemm_at_blocked_v" : "gemm_at_v";
  const kStep = (rows: number, label: string) => `
      (block $${label}KDone (loop $${label}K
        (br_if $${label}KDone (i32.gt_s (i32.add (local.get $k) (i32.const ${rows})) (local.get $inner)))
        (local.set $outRow (i32.add (local.get $out) (i32.mul (local.get $k) (local.get $colBytes))))
        (local.set $g (i32.const 0))
        ${transposedBlock(rows, 2, `${label}Eight`, blocked)}
        ${transposedBlock(rows, 1, `${label}Four`, blocked)}
        (local.set $k (i32.add (local.get $k) (i32.const ${rows})))
        (br $${label}K)))`;
  return `
  (func $${name} (export "${name}")
    (param $a i32) (param $b i32) (param $out i32)
    (param $rows i32) (param $inner i32) (param $cols i32) (param $chunk i32)
    (param $lda i32)
    (local $p i32) (local $g i32) (local $k i32) (local $pa i32) (local $pb i32)
    (local $po i32) (local $outRow i32) (local $aChunk i32) (local $bChunk i32)
    (local $colBytes i32) (local $ldaBytes i32) (local $start i32) (local $stop i32)
    (local $s v128) (local $b0 v128) (local $b1 v128)
    ${accumulatorLocals(4, 2)}
    (local.set $colBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $ldaBytes (i32.shl (local.get $lda) (i32.const 2)))
    (memory.fill (local.get $out) (i32.const 0) (i32.mul (local.get $inner) (local.get $colBytes)))
    (local.set $start (i32.const 0))
    (block $chunksDone (loop $chunks
      (br_if $chunksDone (i32.ge_s (local.get $start) (local.get $rows)))
      (local.set $stop (i32.add (local.get $start) (local.get $chunk)))
      (if (i32.gt_s (local.get $stop) (local.get $rows)) (then (local.set $stop (local.get $rows))))
      (local.set $aChunk (i32.add (local.get $a) (i32.mul (local.get $start) (local.get $ldaBytes))))
      (local.set $bChunk (i32.add (local.get $b) (i32.mul (local.get $start) (local.get $colBytes))))
      (local.set $k (i32.const 0))
      ${kStep(4, "four")}
      ${kStep(1, "one")}
      (local.set $start (local.get $stop))
      (br $chunks)))
  )`;
}

/** The functions of this file, for the kernels module. */
export function productKernelText(): string[] {
  return [
    productKernel(),
    transposedProductKernel(false),
    transposedProductKernel(true),
  ];
}
