/**
 * The eight candidate operations of the DARTS search space and the blocks they
 * are built from, with the reference's module structure and parameter names
 * (`operations.py` of PC-DARTS and DARTS):
 *
 * - `none`: zeros (of the strided shape at stride 2);
 * - `max_pool_3x3`, `avg_pool_3x3`: padding 1, average excluding padding;
 *   followed by BatchNorm(affine=False) inside a search MixedOp;
 * - `skip_connect`: identity, or FactorizedReduce at stride 2;
 * - `sep_conv_3x3`/`5x5`: (ReLU, depthwise, pointwise, BN) twice, stride on the
 *   first depthwise convolution only;
 * - `dil_conv_3x3`/`5x5`: ReLU, depthwise with dilation 2 (padding 2 / 4),
 *   pointwise, BN.
 */
import type { Tensor4D } from "../tensor_types.ts";
import * as tf from "../tf.ts";
import { relu } from "../ops/activation.ts";
import { conv2d, pointwiseConv } from "../ops/conv2d.ts";
import { separableConv } from "../ops/separable_conv.ts";
import { separableConvBatchNorm } from "../ops/separable_block.ts";
import { avgPool, maxPool } from "../ops/pooling.ts";
import { subsample2 } from "../ops/spatial.ts";
import { concatChannels } from "../ops/layout.ts";
import { BatchNormLayer } from "./batch_norm_layer.ts";
import type { ForwardContext, ParameterStore } from "./parameters.ts";

/** The primitive names, in the reference's order (indices of the alphas). */
export const PRIMITIVES = [
  "none",
  "max_pool_3x3",
  "avg_pool_3x3",
  "skip_connect",
  "sep_conv_3x3",
  "sep_conv_5x5",
  "dil_conv_3x3",
  "dil_conv_5x5",
] as const;

/** One of {@linkcode PRIMITIVES}. */
export type PrimitiveName = typeof PRIMITIVES[number];

/** Anything with a forward pass from one NHWC tensor to another. */
export interface Operation {
  /** Applies the operation. */
  forward(x: Tensor4D, context: ForwardContext): Tensor4D;
  /**
   * For operations that begin with a ReLU: the same, given `relu(x)`, so that
   * operations on one input can share it (a MixedOp computes it once).
   */
  forwardActivated?(
    activated: Tensor4D,
    context: ForwardContext,
  ): Tensor4D;
}

/**
 * `none`: zeros (of the strided shape at stride 2), computed as the reference
 * does (`x.mul(0.)`) so that the gradient to `x` exists and is zero.
 */
export class Zero implements Operation {
  /** @param stride 1 or 2 */
  constructor(readonly stride: number) {}
  /** Zeros of the output shape. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    if (this.stride === 1) return tf.mul(x, 0);
    if (this.stride !== 2) {
      throw new Error(`Zero: stride ${this.stride} is not supported`);
    }
    return tf.mul(subsample2(x, 0), 0);
  }
}

/** `skip_connect` at stride 1. */
export class Identity implements Operation {
  /** Returns `x`. */
  forward(x: tf.Tensor4D): tf.Tensor4D {
    return x;
  }
}

/** ReLU, 1x1 (or k x k) convolution, BatchNorm: `op.1.weight`, `op.2`. */
export class ReLUConvBN implements Operation {
  readonly #weight: tf.Variable;
  readonly #bn: BatchNormLayer;
  readonly #stride: number;
  readonly #padding: number;

  /** Registers `prefix.op.1.weight` and the BatchNorm `prefix.op.2`. */
  constructor(
    store: ParameterStore,
    prefix: string,
    inChannels: number,
    outChannels: number,
    kernel: number,
    stride: number,
    padding: number,
    affine: boolean,
  ) {
    this.#weight = store.conv(`${prefix}op.1.weight`, [
      kernel,
      kernel,
      inChannels,
      outChannels,
    ]);
    this.#bn = new BatchNormLayer(store, `${prefix}op.2`, outChannels, affine);
    this.#stride = stride;
    this.#padding = padding;
  }

  /** Applies ReLU, convolution, BatchNorm. */
  forward(x: tf.Tensor4D, context: ForwardContext): tf.Tensor4D {
    const y = conv2d(relu(x), this.#weight as tf.Tensor4D, {
      stride: this.#stride,
      padding: this.#padding,
    });
    return this.#bn.forward(y, context);
  }
}

/**
 * ReLU, two 1x1 stride-2 convolutions (the second on the input shifted by one
 * pixel), concatenated on channels, BatchNorm: `conv_1`, `conv_2`, `bn`.
 */
export class FactorizedReduce implements Operation {
  readonly #conv1: tf.Variable;
  readonly #conv2: tf.Variable;
  readonly #bn: BatchNormLayer;

  /** `outChannels` must be even. */
  constructor(
    store: ParameterStore,
    prefix: string,
    inChannels: number,
    outChannels: number,
    affine: boolean,
  ) {
    if (outChannels % 2 !== 0) {
      throw new Error(
        `FactorizedReduce needs an even number of output channels, got ${outChannels}`,
      );
    }
    const half = outChannels / 2;
    this.#conv1 = store.conv(`${prefix}conv_1.weight`, [
      1,
      1,
      inChannels,
      half,
    ]);
    this.#conv2 = store.conv(`${prefix}conv_2.weight`, [
      1,
      1,
      inChannels,
      half,
    ]);
    this.#bn = new BatchNormLayer(store, `${prefix}bn`, outChannels, affine);
  }

  /** Halves height and width, sets the channel count. */
  forward(x: tf.Tensor4D, context: ForwardContext): tf.Tensor4D {
    return this.forwardActivated(relu(x), context);
  }

  /** The same, given `relu(x)`. */
  forwardActivated(
    activated: tf.Tensor4D,
    context: ForwardContext,
  ): tf.Tensor4D {
    const even = pointwiseConv(subsample2(activated, 0), this.#conv1);
    const odd = pointwiseConv(subsample2(activated, 1), this.#conv2);
    return this.#bn.forward(concatChannels([even, odd]), context);
  }
}

/** ReLU, depthwise (dilated) convolution, pointwise convolution, BatchNorm. */
class DepthwiseSeparableBlock {
  readonly #depthwise: tf.Variable;
  readonly #pointwise: tf.Variable;
  readonly #bn: BatchNormLayer;

  constructor(
    store: ParameterStore,
    names: { depthwise: string; pointwise: string; bn: string },
    channels: number,
    outChannels: number,
    readonly kernel: number,
    readonly stride: number,
    readonly padding: number,
    readonly dilation: number,
    affine: boolean,
  ) {
    this.#depthwise = store.depthwise(names.depthwise, kernel, channels);
    this.#pointwise = store.conv(names.pointwise, [
      1,
      1,
      channels,
      outChannels,
    ]);
    this.#bn = new BatchNormLayer(store, names.bn, outChannels, affine);
  }

  forward(x: tf.Tensor4D, context: ForwardContext): tf.Tensor4D {
    return this.forwardActivated(relu(x), context);
  }

  /** The block given `relu(x)`; with `thenRelu`, the ReLU after it too. */
  forwardActivated(
    activated: tf.Tensor4D,
    context: ForwardContext,
    thenRelu = false,
  ): tf.Tensor4D {
    const options = {
      stride: this.stride,
      padding: this.padding,
      dilation: this.dilation,
    };
    const fused = this.#bn.forwardFused(
      context,
      (epsilon) =>
        separableConvBatchNorm(
          activated,
          this.#depthwise as tf.Tensor4D,
          this.#pointwise,
          options,
          thenRelu,
          epsilon,
        ),
    );
    if (fused !== null) return fused;
    const mixed = separableConv(
      activated,
      this.#depthwise as tf.Tensor4D,
      this.#pointwise,
      options,
    );
    return thenRelu
      ? this.#bn.forwardRelu(mixed, context)
      : this.#bn.forward(mixed, context);
  }
}

/** `sep_conv_kxk`: two depthwise-separable blocks (`op.1..op.3`, `op.5..op.7`). */
export class SepConv implements Operation {
  readonly #first: DepthwiseSeparableBlock;
  readonly #second: DepthwiseSeparableBlock;

  /** Stride applies to the first block only. */
  constructor(
    store: ParameterStore,
    prefix: string,
    inChannels: number,
    outChannels: number,
    kernel: number,
    stride: number,
    padding: number,
    affine: boolean,
  ) {
    this.#first = new DepthwiseSeparableBlock(
      store,
      {
        depthwise: `${prefix}op.1.weight`,
        pointwise: `${prefix}op.2.weight`,
        bn: `${prefix}op.3`,
      },
      inChannels,
      inChannels,
      kernel,
      stride,
      padding,
      1,
      affine,
    );
    this.#second = new DepthwiseSeparableBlock(
      store,
      {
        depthwise: `${prefix}op.5.weight`,
        pointwise: `${prefix}op.6.weight`,
        bn: `${prefix}op.7`,
      },
      inChannels,
      outChannels,
      kernel,
      1,
      padding,
      1,
      affine,
    );
  }

  /** Applies both blocks. */
  forward(x: tf.Tensor4D, context: ForwardContext): tf.Tensor4D {
    return this.forwardActivated(relu(x), context);
  }

  /** The same, given `relu(x)`. */
  forwardActivated(
    activated: tf.Tensor4D,
    context: ForwardContext,
  ): tf.Tensor4D {
    // The second block's ReLU goes with the first block's batch norm.
    return this.#second.forwardActivated(
      this.#first.forwardActivated(activated, context, true),
      context,
    );
  }
}

/** `dil_conv_kxk`: one depthwise-separable block with dilation (`op.1..op.3`). */
export class DilConv implements Operation {
  readonly #block: DepthwiseSeparableBlock;

  /** Registers `op.1.weight`, `op.2.weight`, `op.3`. */
  constructor(
    store: ParameterStore,
    prefix: string,
    inChannels: number,
    outChannels: number,
    kernel: number,
    stride: number,
    padding: number,
    dilation: number,
    affine: boolean,
  ) {
    this.#block = new DepthwiseSeparableBlock(
      store,
      {
        depthwise: `${prefix}op.1.weight`,
        pointwise: `${prefix}op.2.weight`,
        bn: `${prefix}op.3`,
      },
      inChannels,
      outChannels,
      kernel,
      stride,
      padding,
      dilation,
      affine,
    );
  }

  /** Applies the block. */
  forward(x: tf.Tensor4D, context: ForwardContext): tf.Tensor4D {
    return this.forwardActivated(relu(x), context);
  }

  /** The same, given `relu(x)`. */
  forwardActivated(
    activated: tf.Tensor4D,
    context: ForwardContext,
  ): tf.Tensor4D {
    return this.#block.forwardActivated(activated, context);
  }
}

/** 3x3 max or average pooling, optionally followed by BatchNorm(affine=False). */
export class Pool implements Operation {
  readonly #bn?: BatchNormLayer;

  /** With `batchNormName`, a BatchNorm(affine=False) follows (search MixedOp). */
  constructor(
    readonly kind: "max" | "avg",
    readonly stride: number,
    store?: ParameterStore,
    batchNormName?: string,
    channels = 0,
  ) {
    if (store && batchNormName) {
      this.#bn = new BatchNormLayer(store, batchNormName, channels, false);
    }
  }

  /** Pools with a 3x3 window, padding 1. */
  forward(x: tf.Tensor4D, context: ForwardContext): tf.Tensor4D {
    const pooled = this.kind === "max"
      ? maxPool(x, 3, this.stride, 1)
      : avgPool(x, 3, this.stride, 1);
    return this.#bn ? this.#bn.forward(pooled, context) : pooled;
  }
}

/** Options of {@linkcode createPrimitive}. */
export interface PrimitiveOptions {
  /** BatchNorm affine (false in the search network). */
  affine: boolean;
  /** Pooling followed by BatchNorm(affine=False), as inside a search MixedOp. */
  poolBatchNorm: boolean;
}

/**
 * Builds one primitive with `channels` in and out at `stride`; its parameters
 * are named under `prefix` (ending in a dot, or empty) as in the reference.
 */
export function createPrimitive(
  name: PrimitiveName,
  store: ParameterStore,
  prefix: string,
  channels: number,
  stride: number,
  options: PrimitiveOptions,
): Operation {
  const { affine } = options;
  switch (name) {
    case "none":
      return new Zero(stride);
    case "max_pool_3x3":
    case "avg_pool_3x3":
      return options.poolBatchNorm
        ? new Pool(
          name === "max_pool_3x3" ? "max" : "avg",
          stride,
          store,
          `${prefix}1`,
          channels,
        )
        : new Pool(name === "max_pool_3x3" ? "max" : "avg", stride);
    case "skip_connect":
      return stride === 1
        ? new Identity()
        : new FactorizedReduce(store, prefix, channels, channels, affine);
    case "sep_conv_3x3":
      return new SepConv(
        store,
        prefix,
        channels,
        channels,
        3,
        stride,
        1,
        affine,
      );
    case "sep_conv_5x5":
      return new SepConv(
        store,
        prefix,
        channels,
        channels,
        5,
        stride,
        2,
        affine,
      );
    case "dil_conv_3x3":
      return new DilConv(
        store,
        prefix,
        channels,
        channels,
        3,
        stride,
        2,
        2,
        affine,
      );
    case "dil_conv_5x5":
      return new DilConv(
        store,
        prefix,
        channels,
        channels,
        5,
        stride,
        4,
        2,
        affine,
      );
    default:
      throw new Error(
        `unknown primitive "${name}"; expected one of ${PRIMITIVES.join(", ")}`,
      );
  }
}
