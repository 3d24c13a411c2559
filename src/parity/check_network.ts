/**
 * Parity of a whole search network (PC-DARTS or DARTS) against a fixture with
 * `input`, `target`, `logits`, `loss`, `arch.*`, `arch_grad.*`, `param.*` and
 * `grad.*`. The shape comes from `__metadata__` (C, layers, num_classes) and
 * from the weights themselves (K from a primitive's channel count, edge
 * normalization from the presence of betas), so fixtures of any size work.
 */
import type { CellRecomputation } from "../ops/recompute.ts";
import * as tf from "../tf.ts";
import type { SafetensorsFile } from "../io/safetensors.ts";
import { toTorchLayout } from "../space/parameters.ts";
import { crossEntropy, SearchNetwork } from "../space/search_network.ts";
import { importTorchWeights } from "../space/weight_import.ts";
import {
  formatGenotype,
  type Genotype,
  parseGenotype,
} from "../space/genotype.ts";
import { nchwToNhwc, readAndDispose } from "./nchw_layout.ts";
import { relativeError } from "./relative_error.ts";
import type { ParityRow } from "./parity_row.ts";
import { gradientBars, worstTensorRow } from "./summary.ts";
import { fixtureTensor, metadataNumber } from "./fixture_fields.ts";

/** Outcome of {@linkcode checkSearchNetwork}. */
export interface NetworkParity {
  /** Compared quantities. */
  rows: ParityRow[];
  /** The genotype we derive from the fixture's architecture parameters. */
  genotype: Genotype;
  /** The reference genotype from the metadata, if present. */
  expectedGenotype?: Genotype;
}

/**
 * Reads C, layers, classes, K, edge normalization and the stem (ImageNet's
 * three convolutions where `stem0.*` is stored) from a network fixture.
 */
export function networkConfigFromFixture(file: SafetensorsFile) {
  const meta = file.metadata;
  const number = (key: string) => metadataNumber(meta, key);
  const channels = number("C");
  const probe = [...file.tensors.keys()].find((k) =>
    /^param\.cells\.0\._ops\.0\._ops\.4\.op\.1\.weight$/.test(k)
  );
  if (!probe) {
    throw new Error(
      "cannot find param.cells.0._ops.0._ops.4.op.1.weight to infer K",
    );
  }
  const processed = file.tensors.get(probe)!.shape[0];
  return {
    channels,
    layers: number("layers"),
    numClasses: number("num_classes"),
    partialChannels: channels / processed,
    edgeNormalization: file.tensors.has("arch.betas_normal"),
    stem: file.tensors.has("param.stem0.0.weight")
      ? "imagenet" as const
      : "cifar" as const,
  };
}

/** How to run a network fixture. */
export interface ParityOptions {
  /** Build the network with recomputed cells (SearchNetworkConfig.recomputeCells). */
  recomputeCells?: CellRecomputation;
}

/** Forward and backward of the fixture's network; compares everything. */
export async function checkSearchNetwork(
  file: SafetensorsFile,
  options: ParityOptions = {},
): Promise<NetworkParity> {
  const config = networkConfigFromFixture(file);
  const network = new SearchNetwork({
    ...config,
    recomputeCells: options.recomputeCells ?? false,
  });
  try {
    importTorchWeights(network.weights, file.tensors, "param.");
    importTorchWeights(network.architectureStore, file.tensors, "arch.");
    const input = nchwToNhwc(fixtureTensor(file, "input")) as tf.Tensor4D;
    const target = tf.tensor1d(fixtureTensor(file, "target").data, "int32");
    const weightParams = network.weights.trainable().filter((p) =>
      file.tensors.has(`grad.${p.name}`)
    );
    const archParams = network.architectureStore.trainable();
    let logits: tf.Tensor | undefined;
    const { value: loss, grads } = tf.variableGrads(() => {
      const out = network.forward(input, { training: true });
      logits = tf.keep(out);
      return crossEntropy(out, target);
    }, [...archParams, ...weightParams].map((p) => p.variable));
    const archTensors = archParams.map((p) => tf.clone(grads[p.variable.name]));
    const weightTensors = weightParams.map((p) =>
      toTorchLayout(p.layout, grads[p.variable.name])
    );
    tf.dispose(Object.values(grads));
    tf.dispose([input, target]);
    const [logitValues, lossValue, ...gradValues] = await readAndDispose([
      logits!,
      loss,
      ...archTensors,
      ...weightTensors,
    ]);
    const rows: ParityRow[] = [
      {
        check: "logits",
        kind: "output",
        relativeError: relativeError(
          logitValues,
          fixtureTensor(file, "logits").data,
        ),
      },
      {
        check: "loss",
        kind: "output",
        relativeError: relativeError(
          lossValue,
          fixtureTensor(file, "loss").data,
        ),
      },
    ];
    // Each tensor's own bar where the fixture records its float32 scatter,
    // else the fixture's gradient bar.
    const bar = gradientBars(file.metadata);
    archParams.forEach((p, i) => {
      rows.push({
        check: `d loss / d ${p.name}`,
        kind: "gradient",
        relativeError: relativeError(
          gradValues[i],
          fixtureTensor(file, `arch_grad.${p.name}`).data,
        ),
        limit: bar(`arch_grad.${p.name}`),
      });
    });
    rows.push(worstTensorRow(
      "d loss / d weights",
      weightParams.map((p, i) => ({
        name: `grad.${p.name}`,
        error: relativeError(
          gradValues[archParams.length + i],
          fixtureTensor(file, `grad.${p.name}`).data,
        ),
      })),
      bar,
    ));
    const genotype = await network.genotype();
    const expectedGenotype = file.metadata.genotype
      ? parseGenotype(file.metadata.genotype, "fixture metadata genotype")
      : undefined;
    return { rows, genotype, expectedGenotype };
  } finally {
    network.dispose();
  }
}

/** Whether two genotypes are the same cell (compared as canonical JSON text). */
export function sameGenotype(a: Genotype, b: Genotype): boolean {
  return formatGenotype(a) === formatGenotype(b);
}
