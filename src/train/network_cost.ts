/**
 * What an evaluation network costs, counted from its configuration as the
 * papers count: trainable parameters without the auxiliary head, and the
 * multiply-adds of its convolutions and linear layers for one image
 * (batch norm, pooling, ReLU and additions are not counted; neither is the
 * auxiliary head, which inference does not run).
 *
 * The walk follows the reference's modules (`model.py`, `operations.py`):
 * - a convolution of `cin` to `cout` channels in `groups` groups with a k x k
 *   kernel, output h x w: `cin / groups · k² · cout` weights, that times `h·w`
 *   multiply-adds; batch norm: 2 parameters a channel;
 * - ReLUConvBN (the 1x1 preprocessing): a convolution and a batch norm;
 * - FactorizedReduce: two 1x1 stride-2 convolutions to half the channels each,
 *   and a batch norm;
 * - SepConv: twice a depthwise k x k and a pointwise convolution with a batch
 *   norm (only the first depthwise one strided); DilConv: once;
 * - pooling and the identity: nothing; a strided skip: FactorizedReduce.
 */
import type { Genotype, GenotypeEdge } from "../space/genotype.ts";
import { stackCells } from "../space/cell_stack.ts";
import type { NetworkStem } from "../space/stems.ts";

/** Parameters and multiply-adds. */
export interface NetworkCost {
  /** Trainable parameters, the auxiliary head excluded. */
  parameters: number;
  /** Multiply-adds of convolutions and linear layers for one image. */
  multiplyAdds: number;
}

/** What the count needs of an evaluation network. */
export interface CostedNetwork {
  genotype: Genotype;
  channels: number;
  layers: number;
  numClasses: number;
  /** `"cifar"` or `"imagenet"` (see `stems.ts`). */
  stem: "cifar" | "imagenet";
  /** The input's side in pixels (32 for CIFAR, 224 for ImageNet). */
  imageSize: number;
  /** Input channels (3). */
  inputChannels?: number;
}

class Counter {
  parameters = 0;
  multiplyAdds = 0;

  conv(cin: number, cout: number, k: number, side: number, groups = 1): void {
    const weights = (cin / groups) * k * k * cout;
    this.parameters += weights;
    this.multiplyAdds += weights * side * side;
  }

  norm(channels: number): void {
    this.parameters += 2 * channels;
  }

  /** ReLU, 1x1 convolution, batch norm. */
  reluConvBn(cin: number, cout: number, side: number): void {
    this.conv(cin, cout, 1, side);
    this.norm(cout);
  }

  /** Two 1x1 stride-2 convolutions to half the channels; `side` is the output's. */
  factorizedReduce(cin: number, cout: number, side: number): void {
    this.conv(cin, cout / 2, 1, side);
    this.conv(cin, cout / 2, 1, side);
    this.norm(cout);
  }

  /** One operation of a cell on `c` channels; `side` is its output's. */
  operation(op: GenotypeEdge[0], c: number, side: number, strided: boolean) {
    const k = op.endsWith("5x5") ? 5 : 3;
    if (op.startsWith("sep_conv")) {
      for (let i = 0; i < 2; i++) {
        this.conv(c, c, k, side, c);
        this.conv(c, c, 1, side);
        this.norm(c);
      }
    } else if (op.startsWith("dil_conv")) {
      this.conv(c, c, k, side, c);
      this.conv(c, c, 1, side);
      this.norm(c);
    } else if (op === "skip_connect" && strided) {
      this.factorizedReduce(c, c, side);
    }
  }
}

/** Parameters and multiply-adds of an evaluation network. */
export function evalNetworkCost(network: CostedNetwork): NetworkCost {
  const count = new Counter();
  const inputChannels = network.inputChannels ?? 3;
  const half = (side: number) => Math.ceil(side / 2);
  let side = network.imageSize;
  let stem: Pick<NetworkStem, "channels" | "reducesSecond">;
  if (network.stem === "imagenet") {
    const c = network.channels;
    side = half(side);
    count.conv(inputChannels, c / 2, 3, side);
    count.norm(c / 2);
    side = half(side);
    count.conv(c / 2, c, 3, side);
    count.norm(c);
    side = half(side);
    count.conv(c, c, 3, side);
    count.norm(c);
    stem = { channels: [c, c], reducesSecond: true };
  } else {
    const c = 3 * network.channels;
    count.conv(inputChannels, c, 3, side);
    count.norm(c);
    stem = { channels: [c, c], reducesSecond: false };
  }
  const { outputChannels } = stackCells(
    network.layers,
    network.channels,
    stem,
    (place) => {
      // Both inputs are brought to the cell's channels at s1's side.
      if (place.reductionPrev) {
        count.factorizedReduce(place.channelsPrevPrev, place.channels, side);
      } else count.reluConvBn(place.channelsPrevPrev, place.channels, side);
      count.reluConvBn(place.channelsPrev, place.channels, side);
      const g = network.genotype;
      const outSide = place.reduction ? half(side) : side;
      // Every operation outputs at the cell's output side; in a reduction
      // cell those reading the cell's inputs stride.
      for (const [op, input] of place.reduction ? g.reduce : g.normal) {
        const strided = place.reduction && input < 2;
        count.operation(op, place.channels, outSide, strided);
      }
      side = outSide;
      const concat = place.reduction ? g.reduce_concat : g.normal_concat;
      return { cell: null, outputChannels: concat.length * place.channels };
    },
  );
  // Global pooling, then the classifier.
  const last = outputChannels.at(-1)!;
  count.parameters += last * network.numClasses + network.numClasses;
  count.multiplyAdds += last * network.numClasses;
  return { parameters: count.parameters, multiplyAdds: count.multiplyAdds };
}
