import assert from "node:assert/strict";
import { encodeSafetensors, parseSafetensors } from "../io/safetensors.ts";
import { parityFixturesDir } from "../testing/backends.ts";

const root = new URL("../..", import.meta.url).pathname;
const fixture = `${root}fixtures/parity/network_k1_c4_l3_h8.safetensors`;

async function runParity(...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${root}src/cli/parity.ts`,
      "--backend",
      "cpu",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout) +
    new TextDecoder().decode(out.stderr);
  return { code: out.code, text, last: text.trim().split("\n").at(-1) ?? "" };
}

Deno.test("parity passes on a reference fixture and prints the verdict last", async () => {
  const { code, last } = await runParity(fixture);
  assert.equal(code, 0);
  assert.match(
    last,
    /^parity: max relative error \S+ \(outputs\), \S+ \(gradients\): ok$/,
  );
});

Deno.test("parity fails when one reference logit is doctored", async () => {
  const file = parseSafetensors(await Deno.readFile(fixture));
  file.tensors.get("logits")!.data[0] += 0.5;
  const doctored = await Deno.makeTempFile({ suffix: ".safetensors" });
  await Deno.writeFile(
    doctored,
    encodeSafetensors(file.tensors, file.metadata),
  );
  const { code, last } = await runParity(doctored);
  await Deno.remove(doctored);
  assert.equal(code, 1);
  assert.match(last, /: FAILED$/);
});

Deno.test("parity names a missing file and an unknown backend", async () => {
  const missing = await runParity("/nonexistent/file.safetensors");
  assert.equal(missing.code, 1);
  assert.match(missing.text, /cannot read \/nonexistent\/file\.safetensors/);
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      `${root}src/cli/parity.ts`,
      "--backend",
      "gpu9000",
      fixture,
    ],
    stderr: "piped",
    stdout: "piped",
  }).output();
  assert.equal(out.code, 2);
  assert.match(
    new TextDecoder().decode(out.stderr),
    /unknown backend "gpu9000"; choose one of/,
  );
});

Deno.test("parity takes a folder as its *.safetensors files, and an empty folder is an error", async () => {
  const folder = await Deno.makeTempDir();
  await Deno.copyFile(fixture, `${folder}/network_k1_c4_l3_h8.safetensors`);
  await Deno.writeTextFile(`${folder}/notes.txt`, "not a fixture");
  const { code, text, last } = await runParity(folder);
  assert.equal(code, 0, text);
  assert.match(text, /network_k1_c4_l3_h8\.safetensors \(search_network/);
  assert.match(last, /: ok$/);
  const empty = await Deno.makeTempDir();
  const none = await runParity(empty);
  assert.equal(none.code, 1);
  assert.match(none.text, /a folder without \*\.safetensors files/);
  await Deno.remove(folder, { recursive: true });
  await Deno.remove(empty);
});

Deno.test("parity runs a search-step fixture's two steps and prints the worst result by its ratio to its bar", async () => {
  const shared = parityFixturesDir();
  if (!shared) return;
  const { code, text, last } = await runParity(
    `${shared}/search_step_darts2.safetensors`,
    "--backend",
    "wasm",
  );
  assert.equal(code, 0, text);
  assert.match(text, /search_step_darts2\.safetensors \(search_step/);
  assert.match(text, /2542 stored results/);
  assert.match(
    text,
    /worst against its bar: step\d\.\S+ error \S+, bar \S+ \(ratio 0\.\d+\)/,
  );
  assert.match(last, /: ok$/);
});

Deno.test("a float64 fixture whose scalar bar is loose fails when one well-conditioned gradient tensor is off by 1e-3, and prints that tensor", async () => {
  const shared = parityFixturesDir();
  if (!shared) return;
  const file = parseSafetensors(
    await Deno.readFile(`${shared}/eval_network.safetensors`),
  );
  // The scalar rule alone would allow 10 x 1e-2 on every gradient.
  file.metadata.float32_reference_gradient_error = "1e-2";
  const name = "grad.auxiliary_head.classifier.weight"; // scatter 7.3e-6
  const data = file.tensors.get(name)!.data;
  for (let i = 0; i < data.length; i++) data[i] *= 1.001;
  const doctored = await Deno.makeTempFile({ suffix: ".safetensors" });
  const withoutMap = await Deno.makeTempFile({ suffix: ".safetensors" });
  try {
    await Deno.writeFile(
      doctored,
      encodeSafetensors(file.tensors, file.metadata),
    );
    const failed = await runParity(doctored, "--backend", "wasm");
    assert.equal(failed.code, 1, failed.text);
    assert.match(
      failed.text,
      /worst against its bar: .*auxiliary_head\.classifier\.weight\) error 9\.99e-4, bar 1\.0e-4/,
    );
    // Without the per-tensor map the same file passes the loose scalar bar.
    const { float32_reference_gradient_spread: _, ...rest } = file.metadata;
    await Deno.writeFile(withoutMap, encodeSafetensors(file.tensors, rest));
    const passed = await runParity(withoutMap, "--backend", "wasm");
    assert.equal(passed.code, 0, passed.text);
  } finally {
    await Deno.remove(doctored);
    await Deno.remove(withoutMap);
  }
});
