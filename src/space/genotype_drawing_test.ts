import assert from "node:assert/strict";
import { cellToDot, drawGenotype } from "./genotype_drawing.ts";
import { parseGenotype } from "./genotype.ts";

const genotype = parseGenotype(
  '{"normal": [["sep_conv_3x3", 1], ["skip_connect", 0], ["sep_conv_3x3", 0], ["dil_conv_3x3", 1], ["sep_conv_5x5", 0], ["sep_conv_3x3", 1], ["avg_pool_3x3", 0], ["dil_conv_3x3", 1]], "normal_concat": [2, 3, 4, 5], "reduce": [["sep_conv_5x5", 1], ["max_pool_3x3", 0], ["sep_conv_5x5", 1], ["sep_conv_5x5", 2], ["sep_conv_3x3", 0], ["sep_conv_3x3", 3], ["sep_conv_3x3", 1], ["sep_conv_3x3", 2]], "normal_concat": [2, 3, 4, 5], "reduce_concat": [2, 3, 4, 5]}',
);

Deno.test("a cell's DOT has its 8 labelled edges and 4 output edges", () => {
  const dot = cellToDot(genotype.reduce, genotype.reduce_concat, "reduction");
  assert.equal((dot.match(/\[label="/g) ?? []).length, 8);
  assert.match(dot, /"c_\{k-1\}" -> "0" \[label="sep_conv_5x5"/);
  assert.match(dot, /"1" -> "2" \[label="sep_conv_3x3"/);
  assert.equal((dot.match(/-> "c_\{k\}"/g) ?? []).length, 4);
});

Deno.test("both cells render to SVG with every operation named", async () => {
  const { normal, reduce } = await drawGenotype(genotype);
  for (const svg of [normal, reduce]) {
    assert.match(svg, /^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    assert.equal((svg.match(/class="edge"/g) ?? []).length, 12);
  }
  assert.match(normal, />dil_conv_3x3</);
  assert.match(reduce, />max_pool_3x3</);
});
