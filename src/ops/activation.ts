/**
 * ReLU. Portable: `tf.relu` (its gradient is a `Step` and a `Multiply`: two
 * passes and a temporary); the wasm backend registers one SIMD kernel each
 * way, webgpu a one-dispatch gradient.
 */
import * as tf from "../tf.ts";
import { defineOp } from "./op_kernels.ts";

/** `max(x, 0)`, with the gradient passed where `x > 0`. */
export const relu = defineOp(
  "relu",
  <T extends tf.Tensor>(x: T): T => tf.relu(x),
);
