import assert from "node:assert/strict";
import { simdModuleText } from "./simd_kernels.ts";
import {
  signatureMismatches,
  typeScriptSignatures,
  watSignatures,
} from "./kernel_signatures.ts";

const declaredSource = Deno.readTextFileSync(
  new URL("./simd_kernels.ts", import.meta.url),
);

for (const shared of [false, true]) {
  Deno.test(`kernel signatures: every export of the ${shared ? "shared" : "plain"} module matches KernelExports, name by name`, () => {
    const wat = watSignatures(simdModuleText(shared));
    const declared = typeScriptSignatures(declaredSource);
    assert.ok(wat.size >= 38, `${wat.size} exports read`);
    assert.deepEqual(signatureMismatches(wat, declared), []);
    // Spot checks that the readers see what the sources say.
    assert.deepEqual(wat.get("sum2")?.params, ["pa", "pb", "po", "n"]);
    assert.equal(wat.get("dot")?.returns, true);
    assert.equal(declared.get("depthwise_forward_v")?.params.length, 15);
    assert.deepEqual(declared.get("avgpool_grad_v")?.params.slice(0, 2), [
      "out",
      "input",
    ]);
    assert.equal(declared.get("gemm_at_v")?.params.at(-1), "lda");
  });
}

Deno.test("kernel signatures: a swapped argument on either side is caught", () => {
  const text = simdModuleText(false);
  const declared = typeScriptSignatures(declaredSource);
  const swappedText = text.replace(
    "(param $pa i32) (param $pb i32)",
    "(param $pb i32) (param $pa i32)",
  );
  assert.notEqual(swappedText, text);
  assert.deepEqual(signatureMismatches(watSignatures(swappedText), declared), [
    "sum2: the text takes (pb, pa, po, n), TypeScript declares (pa, pb, po, n)",
  ]);
  const swappedSource = declaredSource.replace(
    "  x: number,\n  dy: number,\n  dx: number,",
    "  dy: number,\n  x: number,\n  dx: number,",
  );
  assert.notEqual(swappedSource, declaredSource);
  const problems = signatureMismatches(
    watSignatures(text),
    typeScriptSignatures(swappedSource),
  );
  assert.deepEqual(problems.map((p) => p.split(":")[0]).sort(), [
    "maxpool_grad_s",
    "maxpool_grad_v",
  ]);
  const dropped = declaredSource.replace(/^ {2}zero\(.*\n/m, "");
  assert.deepEqual(
    signatureMismatches(watSignatures(text), typeScriptSignatures(dropped)),
    ["zero: exported but not declared in KernelExports"],
  );
});
