import assert from "node:assert/strict";
import { join } from "node:path";
import {
  folderCycles,
  type FolderEdge,
  folderEdges,
  sourceFiles,
  SRC,
} from "./source_tree.ts";

Deno.test("no folder under src/ imports a folder that imports it back", () => {
  const cycles = folderCycles(folderEdges());
  assert.deepEqual(
    cycles.map((c) => c.map((e) => `${e.file} imports ${e.via}`)),
    [],
  );
});

Deno.test("product code imports nothing from outside src/ or from testing/", () => {
  const bad = folderEdges().filter((e) =>
    e.to === "(outside)" || (e.to === "testing" && e.from !== "testing")
  );
  assert.deepEqual(bad.map((e) => `${e.file} imports ${e.via}`), []);
});

Deno.test("the src/ root keeps only the tfjs handle and the exported types", () => {
  const root = sourceFiles().filter((f) => !f.includes("/"));
  assert.deepEqual(root, ["tensor_types.ts", "tf.ts"]);
});

Deno.test("the folder-cycle check finds a cycle when there is one", () => {
  const edge = (from: string, to: string): FolderEdge => ({
    from,
    to,
    file: `${from}/a.ts`,
    via: `${to}/b.ts`,
  });
  const cycles = folderCycles([
    edge("run", "space"),
    edge("space", "ops"),
    edge("ops", "run"),
    edge("cli", "run"),
  ]);
  assert.equal(cycles.length, 1);
  assert.deepEqual(cycles[0].map((e) => e.from).sort(), [
    "ops",
    "run",
    "space",
  ]);
  assert.deepEqual(folderCycles([edge("cli", "run"), edge("run", "ops")]), []);
});

/** A backend's name in a pattern. */
const BACKEND = "(?:auto|tensorflow|webgpu|wasm|cpu)";

/**
 * What names a backend in code: switching backends, a quoted name, a list of
 * names (`a|b`, `a, b`, `a or b`), and set-up advice (`setup tensorflow`).
 * The size called `cpu` is the one quoted name it allows.
 */
const NAMES_A_BACKEND = new RegExp(
  [
    String.raw`getBackend\(|setBackend\(`,
    String.raw`["'\`](?:webgpu|wasm|tensorflow)["'\`]`,
    `\\b${BACKEND}\\|${BACKEND}\\b`,
    `\\b${BACKEND}, ${BACKEND}\\b`,
    `\\b${BACKEND},? or ${BACKEND}\\b`,
    `setup (?:tensorflow|webgpu|wasm)`,
  ].join("|"),
);

/** A line of code, without its comment (a whole-line comment gives ""). */
function codeOf(line: string): string {
  const trimmed = line.trim();
  if (
    trimmed.startsWith("//") || trimmed.startsWith("*") ||
    trimmed.startsWith("/*")
  ) return "";
  return line;
}

/**
 * Outside src/backends/, only the command-line tools may name a backend, and
 * only when parsing `--backend` (they take the default from the table).
 */
Deno.test("no file outside src/backends/ names a backend", () => {
  const offenders: string[] = [];
  for (const file of sourceFiles()) {
    if (file.startsWith("backends/")) continue;
    const lines = Deno.readTextFileSync(join(SRC, file)).split("\n");
    lines.forEach((line, i) => {
      if (NAMES_A_BACKEND.test(codeOf(line))) {
        offenders.push(`src/${file}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(offenders, []);
});

Deno.test("the backend-name check catches a comparison with a name, a quoted list, a list in words and set-up advice", () => {
  assert.ok(NAMES_A_BACKEND.test(`if (tf.getBackend() === "webgpu") {`));
  assert.ok(NAMES_A_BACKEND.test(`await initBackend('tensorflow');`));
  assert.ok(NAMES_A_BACKEND.test(`value: "auto|tensorflow|webgpu|wasm|cpu",`));
  assert.ok(
    NAMES_A_BACKEND.test(`help: "auto, tensorflow, webgpu, wasm or cpu",`),
  );
  assert.ok(NAMES_A_BACKEND.test(`help: "wasm or cpu",`));
  assert.ok(NAMES_A_BACKEND.test("`run deno task setup tensorflow first`"));
  assert.equal(codeOf(`  // the webgpu|wasm backends' programs`), "");
  assert.ok(!NAMES_A_BACKEND.test(`size === "cpu"`));
  assert.ok(!NAMES_A_BACKEND.test(`value: BACKEND_CHOICES,`));
});

/** A list of backends: `a|b`, `a, b`, `a or b`. */
const LISTS_BACKENDS = new RegExp(
  [
    `\\b${BACKEND}\\|${BACKEND}\\b`,
    `\\b${BACKEND}, ${BACKEND}\\b`,
    `\\b${BACKEND},? or ${BACKEND}\\b`,
    `setup (?:tensorflow|webgpu|wasm)`,
  ].join("|"),
);

/**
 * The benchmark scripts may each target one backend (the GPU benchmark runs
 * webgpu), but a list of backends or set-up advice comes from the table.
 */
Deno.test("no benchmark script lists the backends or advises a set-up", () => {
  const benchmarks = join(SRC, "..", "benchmarks");
  const offenders: string[] = [];
  for (const file of sourceFiles(benchmarks)) {
    const lines = Deno.readTextFileSync(join(benchmarks, file)).split("\n");
    lines.forEach((line, i) => {
      if (LISTS_BACKENDS.test(codeOf(line))) {
        offenders.push(`benchmarks/${file}:${i + 1}: ${line.trim()}`);
      }
    });
  }
  assert.deepEqual(offenders, []);
  assert.ok(
    LISTS_BACKENDS.test(`help: "auto, tensorflow, webgpu, wasm or cpu",`),
  );
  assert.ok(
    !LISTS_BACKENDS.test(`const backend = await initBackend("webgpu");`),
  );
});
