/**
 * Test helpers: which backends tests run on, and where the shared reference
 * fixtures and data live.
 *
 * `PCDARTS_TEST_BACKENDS` (comma-separated) overrides the list; by default tests
 * run on `cpu` and `wasm`, on `webgpu` when an adapter (lavapipe counts) is
 * present, and on `tensorflow` once `deno task setup tensorflow` has built it.
 */
import * as tf from "../tf.ts";
import { initBackend, probeWebGpu } from "../backend.ts";
import { throwOnWebGpuErrors } from "../webgpu_errors.ts";
import { builtPackage } from "../tensorflow/package.ts";

let cached: string[] | undefined;

/** The backends to test on. */
export async function testBackends(): Promise<string[]> {
  if (cached) return cached;
  const fromEnv = Deno.env.get("PCDARTS_TEST_BACKENDS");
  if (fromEnv) {
    cached = fromEnv.split(",").map((s) => s.trim()).filter(Boolean);
  } else {
    cached = ["cpu", "wasm"];
    if ((await probeWebGpu()).available) cached.push("webgpu");
    if (builtPackage() !== null) cached.push("tensorflow");
  }
  return cached;
}

/** Runs `body` once per test backend as a test step named after the backend. */
export async function onEachBackend(
  t: Deno.TestContext,
  body: (backend: string) => Promise<void> | void,
  only?: string[],
): Promise<void> {
  for (const backend of await testBackends()) {
    if (only && !only.includes(backend)) continue;
    await t.step(backend, async () => {
      await initBackend(backend);
      const before = tf.memory().numTensors;
      await body(backend);
      const after = tf.memory().numTensors;
      if (after !== before) {
        throw new Error(`${backend}: ${after - before} tensors leaked`);
      }
      // A GPU error leaves garbage behind instead of failing: none may occur.
      if (backend === "webgpu") throwOnWebGpuErrors("the end of the test");
    });
  }
}

/** The folder of the reference parity fixtures, or null when absent. */
export function parityFixturesDir(): string | null {
  const dir = Deno.env.get("PCDARTS_PARITY_DIR") ??
    new URL("../../../shared/fixtures/parity", import.meta.url).pathname;
  try {
    return Deno.statSync(dir).isDirectory ? dir : null;
  } catch {
    return null;
  }
}
