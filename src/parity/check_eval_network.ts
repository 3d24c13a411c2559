/**
 * Parity of the evaluation network (NetworkCIFAR with auxiliary head, drop-path
 * 0) against a fixture with `input`, `target`, `logits`, `logits_aux`, `loss`
 * (cross-entropy of the logits plus `auxiliary_weight` times that of the
 * auxiliary logits), `param.*` and `grad.*`; sizes and the genotype come from
 * `__metadata__`.
 */
import * as tf from "../tf.ts";
import type { SafetensorsFile } from "../io/safetensors.ts";
import { toTorchLayout } from "../space/parameters.ts";
import { crossEntropy } from "../space/search_network.ts";
import { importTorchWeights } from "../space/weight_import.ts";
import { parseGenotype } from "../space/genotype.ts";
import { EvalNetwork } from "../train/eval_network.ts";
import { labelSmoothedCrossEntropy } from "../train/label_smoothing.ts";
import { nchwToNhwc, readAndDispose } from "./nchw_layout.ts";
import { relativeError } from "./relative_error.ts";
import type { ParityRow } from "./parity_row.ts";
import { gradientBars, worstTensorRow } from "./summary.ts";
import { fixtureTensor } from "./fixture_fields.ts";

/** Forward and backward of the fixture's evaluation network; compares everything. */
export async function checkEvalNetwork(
  file: SafetensorsFile,
): Promise<ParityRow[]> {
  const meta = file.metadata;
  const get = (key: string) => fixtureTensor(file, key);
  const auxiliaryWeight = Number(meta.auxiliary_weight ?? "0.4");
  // The ImageNet training's loss is label-smoothed (metadata label_smoothing).
  const smoothing = Number(meta.label_smoothing ?? "0");
  const loss = (logits: tf.Tensor2D, labels: tf.Tensor1D) =>
    smoothing > 0
      ? labelSmoothedCrossEntropy(logits, labels, smoothing)
      : crossEntropy(logits, labels);
  const network = new EvalNetwork({
    genotype: parseGenotype(meta.genotype, "fixture metadata genotype"),
    channels: Number(meta.C),
    layers: Number(meta.layers),
    numClasses: Number(meta.num_classes),
    auxiliary: file.tensors.has("logits_aux"),
    stem: file.tensors.has("param.stem0.0.weight") ? "imagenet" : "cifar",
  });
  try {
    importTorchWeights(network.weights, file.tensors, "param.");
    const input = nchwToNhwc(get("input")) as tf.Tensor4D;
    const target = tf.tensor1d(get("target").data, "int32");
    const params = network.weights.trainable().filter((p) =>
      file.tensors.has(`grad.${p.name}`)
    );
    let logits: tf.Tensor | undefined;
    let auxiliary: tf.Tensor | undefined;
    const { value: total, grads } = tf.variableGrads(() => {
      const out = network.forward(input, {
        training: true,
        dropPathProbability: Number(meta.drop_path_prob ?? 0),
      });
      logits = tf.keep(out.logits);
      let sum = loss(out.logits, target);
      if (out.auxiliary) {
        auxiliary = tf.keep(out.auxiliary);
        sum = tf.add(
          sum,
          tf.mul(loss(out.auxiliary, target), auxiliaryWeight),
        );
      }
      return sum as tf.Scalar;
    }, params.map((p) => p.variable));
    const gradTensors = params.map((p) =>
      toTorchLayout(p.layout, grads[p.variable.name])
    );
    tf.dispose([input, target, ...Object.values(grads)]);
    const outputs = [logits!, total, ...(auxiliary ? [auxiliary] : [])];
    const [logitValues, lossValue, ...rest] = await readAndDispose([
      ...outputs,
      ...gradTensors,
    ]);
    const rows: ParityRow[] = [
      {
        check: "logits",
        kind: "output",
        relativeError: relativeError(logitValues, get("logits").data),
      },
      {
        check: "loss (with auxiliary)",
        kind: "output",
        relativeError: relativeError(lossValue, get("loss").data),
      },
    ];
    let gradValues = rest;
    if (auxiliary) {
      rows.push({
        check: "auxiliary logits",
        kind: "output",
        relativeError: relativeError(rest[0], get("logits_aux").data),
      });
      gradValues = rest.slice(1);
    }
    rows.push(worstTensorRow(
      "d loss / d weights",
      params.map((p, i) => ({
        name: `grad.${p.name}`,
        error: relativeError(gradValues[i], get(`grad.${p.name}`).data),
      })),
      gradientBars(meta),
    ));
    return rows;
  } finally {
    network.dispose();
  }
}
