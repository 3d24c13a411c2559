/**
 * The tensor types the public API takes and returns, named here so that its
 * signatures read without importing tfjs. They are tfjs-core's own types.
 */
import type * as tf from "./tf.ts";

/** A tfjs tensor of any rank. */
export type Tensor = tf.Tensor;
/** A scalar tfjs tensor (a loss). */
export type Scalar = tf.Scalar;
/** A rank-1 tfjs tensor (labels, per-edge weights). */
export type Tensor1D = tf.Tensor1D;
/** A rank-2 tfjs tensor (logits: batch × classes). */
export type Tensor2D = tf.Tensor2D;
/** A rank-4 tfjs tensor in NHWC layout (images, feature maps). */
export type Tensor4D = tf.Tensor4D;
/** A trainable tfjs variable. */
export type Variable = tf.Variable;
