import assert from "node:assert/strict";
import * as tf from "../../tf.ts";
import { initBackend } from "../init.ts";
import { builtPackage } from "./package.ts";
import { loadTensorflow } from "./load.ts";

Deno.test({
  name:
    "asking whether tensorflow loads leaves the active backend active (tfjs-node makes itself active when imported)",
  ignore: builtPackage() === null,
  async fn() {
    await initBackend("wasm");
    assert.ok((await loadTensorflow()).loaded !== undefined);
    assert.equal(tf.getBackend(), "wasm");
  },
});
