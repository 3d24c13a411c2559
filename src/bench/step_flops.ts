/**
 * Floating-point operations of one first-order search step, counted from the
 * search network's shapes: the multiply-adds of every convolution and of the
 * classifier, two operations each. Pooling, batch norm, ReLU, the MixedOp's
 * weighted sums and the optimizers are left out (a few per cent: they are
 * element-wise). A step is an architecture step on a validation batch (forward,
 * then input gradients only: one more forward's worth) and a weight step on a
 * training batch (forward, input and filter gradients: two more), so it costs
 * five forward passes' multiply-adds, less the stem's input gradients, which
 * nothing needs.
 */
import { isReduction } from "../space/cell_stack.ts";
import { PRIMITIVES } from "../space/primitives.ts";

/** The shapes that decide the count. */
export interface StepShape {
  /** Initial channels C. */
  channels: number;
  /** Cells. */
  layers: number;
  /** K: the MixedOp computes C/K of each edge's channels. */
  partialChannels: number;
  /** Images per batch (validation and training alike). */
  batchSize: number;
  /** Image side. */
  imageSize: number;
  /** Input channels (3 for CIFAR-10). */
  inputChannels?: number;
  /** Classes. */
  classes?: number;
}

/** Multiply-adds of one operation of a MixedOp on one image. */
function primitiveMacs(
  name: string,
  channels: number,
  outputSide: number,
  stride: number,
): number {
  const pixels = outputSide * outputSide;
  const pointwise = pixels * channels * channels;
  switch (name) {
    case "sep_conv_3x3":
      return 2 * (pixels * channels * 9 + pointwise);
    case "sep_conv_5x5":
      return 2 * (pixels * channels * 25 + pointwise);
    case "dil_conv_3x3":
      return pixels * channels * 9 + pointwise;
    case "dil_conv_5x5":
      return pixels * channels * 25 + pointwise;
    case "skip_connect":
      // Strided: FactorizedReduce, two 1x1 convolutions to half the channels.
      return stride === 2 ? pointwise : 0;
    default:
      return 0; // none, pooling
  }
}

/** Multiply-adds of one forward pass on one image. */
export function forwardMacsPerImage(shape: StepShape): number {
  const inputChannels = shape.inputChannels ?? 3;
  const classes = shape.classes ?? 10;
  const stemChannels = 3 * shape.channels;
  const side = shape.imageSize;
  let macs = side * side * 9 * inputChannels * stemChannels;
  let channels = shape.channels;
  let prevPrev = { channels: stemChannels, side };
  let prev = { channels: stemChannels, side };
  let reductionPrev = false;
  for (let i = 0; i < shape.layers; i++) {
    const reduction = isReduction(i, shape.layers);
    if (reduction) channels *= 2;
    // preprocess0: FactorizedReduce after a reduction, else a 1x1 ReLUConvBN.
    macs += reductionPrev
      ? (prevPrev.side / 2) ** 2 * prevPrev.channels * channels
      : prevPrev.side ** 2 * prevPrev.channels * channels;
    macs += prev.side ** 2 * prev.channels * channels;
    const inputSide = prev.side;
    const outputSide = reduction ? inputSide / 2 : inputSide;
    const part = channels / shape.partialChannels;
    for (let node = 0; node < 4; node++) {
      for (let input = 0; input < 2 + node; input++) {
        const stride = reduction && input < 2 ? 2 : 1;
        for (const name of PRIMITIVES) {
          macs += primitiveMacs(name, part, outputSide, stride);
        }
      }
    }
    prevPrev = prev;
    prev = { channels: 4 * channels, side: outputSide };
    reductionPrev = reduction;
  }
  return macs + prev.channels * classes;
}

/** Floating-point operations of one first-order search step (see module docs). */
export function searchStepFlops(shape: StepShape): number {
  const stemInputGradient = shape.imageSize ** 2 * 9 *
    (shape.inputChannels ?? 3) * 3 * shape.channels;
  const perImage = 5 * forwardMacsPerImage(shape) - 2 * stemInputGradient;
  return 2 * shape.batchSize * perImage;
}
