/**
 * The WebAssembly text of the partial-channel shuffle at K = 4 (see
 * `partial_channel_simd.ts`): output channel `4j + g` of a pixel is channel
 * `j` of group `g`, so four channels `4m … 4m + 3` of the four groups are a
 * 4×4 block that a transpose turns into output channels `16m … 16m + 15`.
 * One pass over the pixels with vector loads and stores, where the copies
 * took one float at a time, four passes a call.
 *
 * `shuffle4_gather_v(g0, g1, g2, g3, s0, s1, out, pixels, part)`: writes
 * `out` (`[pixels, 4·part]`) from the groups, group `g` starting at byte `gg`
 * with pixels `s0` (group 0) or `s1` (groups 1-3) floats apart.
 * `shuffle4_scatter_v(...)`, the same arguments: writes the groups from
 * `out` (the gradient's way). `part` must be divisible by 4. Copies only, so
 * the bits are the inputs'.
 */
import { quadTranspose } from "./layout_kernel_text.ts";

function shuffleKernel(gather: boolean): string {
  const name = `shuffle4_${gather ? "gather" : "scatter"}_v`;
  const group = (g: number) => `(i32.add (local.get $g${g}) (local.get $o))`;
  const quadAt = (j: number) =>
    `(i32.add (local.get $po) (i32.const ${16 * j}))`;
  // Gather: rows are the groups' quads, columns go to out; scatter: the other
  // way round (the transpose is its own inverse).
  const quad = quadTranspose(
    [0, 1, 2, 3].map((k) =>
      gather ? `(v128.load ${group(k)})` : `(v128.load ${quadAt(k)})`
    ) as [string, string, string, string],
  );
  const stores = quad.columns.map((column, k) =>
    gather
      ? `(v128.store ${quadAt(k)} ${column})`
      : `(v128.store ${group(k)} ${column})`
  ).join("\n          ");
  return `
  (func $${name} (export "${name}")
    (param $g0 i32) (param $g1 i32) (param $g2 i32) (param $g3 i32)
    (param $s0 i32) (param $s1 i32) (param $out i32) (param $pixels i32) (param $part i32)
    (local $p i32) (local $o i32) (local $po i32) (local $partBytes i32)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $s0 (i32.shl (local.get $s0) (i32.const 2)))
    (local.set $s1 (i32.shl (local.get $s1) (i32.const 2)))
    (local.set $partBytes (i32.shl (local.get $part) (i32.const 2)))
    (local.set $po (local.get $out))
    (block $pDone (loop $pLoop
      (br_if $pDone (i32.ge_u (local.get $p) (local.get $pixels)))
      (local.set $o (i32.const 0))
      (block $oDone (loop $oLoop
        (br_if $oDone (i32.ge_u (local.get $o) (local.get $partBytes)))
        ${quad.setup}
          ${stores}
        (local.set $po (i32.add (local.get $po) (i32.const 64)))
        (local.set $o (i32.add (local.get $o) (i32.const 16)))
        (br $oLoop)))
      (local.set $g0 (i32.add (local.get $g0) (local.get $s0)))
      (local.set $g1 (i32.add (local.get $g1) (local.get $s1)))
      (local.set $g2 (i32.add (local.get $g2) (local.get $s1)))
      (local.set $g3 (i32.add (local.get $g3) (local.get $s1)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br $pLoop)))
  )`;
}

/** The functions of this file, for the kernels module. */
export function shuffleKernelText(): string[] {
  return [shuffleKernel(true), shuffleKernel(false)];
}
