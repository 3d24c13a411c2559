/**
 * The stems of the networks: what turns images into the two inputs of the
 * first cell. Weight names follow the reference, which the fixtures and
 * checkpoints rely on.
 *
 * - CIFAR (`stem.0.weight`, `stem.1.*`): a 3x3 convolution and batch norm; both
 *   inputs of the first cell are its output.
 * - ImageNet (`stem0.*`, `stem1.*`): three stride-2 3x3 convolutions. stem0 is
 *   a convolution to half the channels, batch norm, ReLU, a convolution to all
 *   of them and batch norm (the first cell's s0, a quarter of the input side);
 *   stem1 is ReLU, a convolution and batch norm (its s1, an eighth). The first
 *   cell sees a reduced previous cell, as after a reduction.
 */
import type * as tf from "../tf.ts";
import { relu } from "../ops/activation.ts";
import { conv2d } from "../ops/conv2d.ts";
import { BatchNormLayer } from "./batch_norm_layer.ts";
import type { ForwardContext, ParameterStore } from "./parameters.ts";

/** A network's stem. */
export interface NetworkStem {
  /** Channels of the first cell's two inputs (s0, s1). */
  readonly channels: readonly [number, number];
  /** Whether s1 has half the side of s0 (the first cell then reduces s0). */
  readonly reducesSecond: boolean;
  /** The first cell's inputs (s0, s1) from NHWC images. */
  forward(
    images: tf.Tensor4D,
    context: ForwardContext,
  ): [tf.Tensor4D, tf.Tensor4D];
}

/** A 3x3 convolution without bias (padding 1) followed by an affine batch norm. */
class ConvNorm {
  readonly #weight: tf.Variable;
  readonly #norm: BatchNormLayer;

  constructor(
    store: ParameterStore,
    convName: string,
    normName: string,
    inChannels: number,
    outChannels: number,
    readonly stride: number,
    readonly inputGradient: boolean,
  ) {
    this.#weight = store.conv(convName, [3, 3, inChannels, outChannels]);
    this.#norm = new BatchNormLayer(store, normName, outChannels, true);
  }

  forward(x: tf.Tensor4D, context: ForwardContext): tf.Tensor4D {
    return this.#norm.forward(
      conv2d(x, this.#weight as tf.Tensor4D, {
        stride: this.stride,
        padding: 1,
        inputGradient: this.inputGradient,
      }),
      context,
    );
  }
}

/** The CIFAR stem: one 3x3 convolution and batch norm to `channels`. */
export class CifarStem implements NetworkStem {
  readonly channels: readonly [number, number];
  readonly reducesSecond = false;
  readonly #conv: ConvNorm;

  /** Adds `stem.0.weight` and `stem.1.*` to `store`. */
  constructor(store: ParameterStore, inputChannels: number, channels: number) {
    // The images need no gradient.
    this.#conv = new ConvNorm(
      store,
      "stem.0.weight",
      "stem.1",
      inputChannels,
      channels,
      1,
      false,
    );
    this.channels = [channels, channels];
  }

  forward(
    images: tf.Tensor4D,
    context: ForwardContext,
  ): [tf.Tensor4D, tf.Tensor4D] {
    const stem = this.#conv.forward(images, context);
    return [stem, stem];
  }
}

/** The ImageNet stem: three stride-2 convolutions to `channels` (even). */
export class ImageNetStem implements NetworkStem {
  readonly channels: readonly [number, number];
  readonly reducesSecond = true;
  readonly #first: ConvNorm;
  readonly #second: ConvNorm;
  readonly #third: ConvNorm;

  /** Adds `stem0.{0,1,3,4}.*` and `stem1.{1,2}.*` to `store`. */
  constructor(store: ParameterStore, inputChannels: number, channels: number) {
    if (channels % 2 !== 0) {
      throw new Error(
        `the ImageNet stem halves its channels first: ${channels} is odd`,
      );
    }
    const half = channels / 2;
    this.#first = new ConvNorm(
      store,
      "stem0.0.weight",
      "stem0.1",
      inputChannels,
      half,
      2,
      false,
    );
    this.#second = new ConvNorm(
      store,
      "stem0.3.weight",
      "stem0.4",
      half,
      channels,
      2,
      true,
    );
    this.#third = new ConvNorm(
      store,
      "stem1.1.weight",
      "stem1.2",
      channels,
      channels,
      2,
      true,
    );
    this.channels = [channels, channels];
  }

  forward(
    images: tf.Tensor4D,
    context: ForwardContext,
  ): [tf.Tensor4D, tf.Tensor4D] {
    const s0 = this.#second.forward(
      relu(this.#first.forward(images, context)),
      context,
    );
    const s1 = this.#third.forward(relu(s0), context);
    return [s0, s1];
  }
}
