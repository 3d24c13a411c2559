/**
 * Test helpers: which backends tests run on, and where the shared reference
 * fixtures live.
 *
 * `PCDARTS_TEST_BACKENDS` (comma-separated) overrides the list; by default tests
 * run on every backend that can start here: cpu and wasm always, webgpu when an
 * adapter (lavapipe counts) is present, tensorflow once `deno task setup
 * tensorflow` has built it.
 */
import * as tf from "../tf.ts";
import { initBackend } from "../backends/init.ts";
import {
  availableBackends,
  throwOnBackendErrors,
} from "../backends/backend_table.ts";

let cached: string[] | undefined;

/** The backends to test on. */
export async function testBackends(): Promise<string[]> {
  if (cached) return cached;
  const fromEnv = Deno.env.get("PCDARTS_TEST_BACKENDS");
  if (fromEnv) {
    cached = fromEnv.split(",").map((s) => s.trim()).filter(Boolean);
  } else {
    cached = (await availableBackends()).map((u) => u.name);
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
      throwOnBackendErrors("the end of the test");
    });
  }
}

export { parityFixturesDir } from "../parity/fixtures_dir.ts";

/**
 * Whether none of `backends` is a test backend here: a test for those
 * backends alone is then declared ignored (it reports as ignored, never as
 * passed having checked nothing).
 */
export async function lacksBackends(backends: string[]): Promise<boolean> {
  const have = await testBackends();
  return !backends.some((b) => have.includes(b));
}
