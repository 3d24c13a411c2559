import assert from "node:assert/strict";
import {
  deriveCell,
  deriveGenotype,
  formatGenotype,
  parseGenotype,
  validateSearchedCell,
} from "./genotype.ts";
import { PRIMITIVES } from "./primitives.ts";

Deno.test("derivation excludes none, ranks edges by their best op, strongest first", () => {
  const alphas = new Float32Array(14 * 8);
  const set = (
    edge: number,
    op: string,
    value: number,
  ) => (alphas[edge * 8 + PRIMITIVES.indexOf(op as never)] = value);
  set(0, "none", 10); // none never wins
  set(0, "sep_conv_3x3", 1);
  set(1, "max_pool_3x3", 2);
  set(2, "dil_conv_5x5", 3); // node 1: edges 2, 3, 4
  set(4, "skip_connect", 4);
  const cell = deriveCell(alphas, null, 4);
  assert.deepEqual(cell.slice(0, 4), [
    ["max_pool_3x3", 1],
    ["sep_conv_3x3", 0],
    ["skip_connect", 2],
    ["dil_conv_5x5", 0],
  ]);
});

Deno.test("betas rescale edges within a node", () => {
  const alphas = new Float32Array(14 * 8);
  alphas[0 * 8 + 4] = 1; // edge 0 slightly stronger by alpha
  alphas[1 * 8 + 5] = 0.9;
  const betas = new Float32Array(14);
  betas[1] = 3; // but edge 1 carries the node's weight
  const [first] = deriveCell(alphas, betas, 4);
  assert.deepEqual(first, ["sep_conv_5x5", 1]);
});

Deno.test("JSON form round-trips in the fixtures' spacing", () => {
  const g = deriveGenotype({
    alphasNormal: new Float32Array(112).map((_, i) => Math.sin(i)),
    alphasReduce: new Float32Array(112).map((_, i) => Math.cos(i)),
    betasNormal: null,
    betasReduce: null,
  });
  const text = formatGenotype(g);
  assert.match(text, /^\{"normal": \[\["[a-z_0-9]+", \d\], /);
  assert.equal(formatGenotype(parseGenotype(text)), text);
  assert.deepEqual(validateSearchedCell(g.normal), []);
});

Deno.test("parseGenotype names what is wrong", () => {
  assert.throws(() => parseGenotype("{"), /not valid JSON/);
  assert.throws(
    () =>
      parseGenotype(
        '{"normal": [["conv_9x9", 0], ["skip_connect", 1]], "reduce": []}',
      ),
    /normal\[0\] = \["conv_9x9",0\]/,
  );
  assert.throws(
    () =>
      parseGenotype(
        '{"normal": [["skip_connect", 0], ["skip_connect", 2]], "reduce": [["skip_connect", 0], ["skip_connect", 1]]}',
      ),
    /input below 2/,
  );
});

Deno.test("validateSearchedCell flags none and repeated inputs", () => {
  assert.deepEqual(
    validateSearchedCell([["none", 0], ["skip_connect", 0]]),
    ["node 0 reads input 0 twice", "node 0 uses none"],
  );
});
