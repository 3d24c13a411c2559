/**
 * The first steps of a training run, replayed by the PyTorch twin
 * (`src/parity/twins/reference_train_chain.py`) in float64 and in float32. The
 * float64 losses are the truth a backend's losses are held to; the twin's own
 * float32 spread says how well that truth can be met. A ReLU input within
 * rounding of zero sends one gradient element either way, and after two SGD
 * steps such a flip can move the loss by 1e-3 relative in any float32
 * implementation, the reference's included.
 */
import * as tf from "../tf.ts";
import type { Genotype } from "../space/genotype.ts";
import type { ImageDataset } from "../data/dataset.ts";
import { batchToTensors } from "../data/batch_tensors.ts";
import { toTorchLayout } from "../space/parameters.ts";
import { nhwcToNchw } from "./nchw_layout.ts";
import { encodeSafetensors, type NamedArray } from "../io/safetensors.ts";
import { cosineLearningRate } from "../optim/schedule.ts";
import { FLOAT64_TOLERANCE, REFERENCE_ERROR_FACTOR } from "./summary.ts";
import { initialNetwork, trainingLoader } from "../train/train.ts";
import type { TrainConfig } from "../train/train_config.ts";

/** What the twin reports for a chain. */
export interface ReferenceChain {
  /** The losses computed in float64, one per step. */
  float64: number[];
  /** The losses of the twin's float32 chain. */
  float32: number[];
  /** Per step, the worst relative distance of the twin's float32 chains (unperturbed and perturbed) from float64. */
  float32_error: number[];
}

/**
 * Writes what the twin needs to replay the first `steps` steps of a run: the
 * initial weights in torch layout, the batches in NCHW, and the optimiser's
 * settings for epoch 0.
 */
export async function writeChainFile(
  path: string,
  options: {
    config: TrainConfig;
    genotype: Genotype;
    trainData: ImageDataset;
    steps: number;
  },
): Promise<void> {
  const { config, genotype, trainData, steps } = options;
  const loader = trainingLoader(config, trainData);
  if (steps > loader.batchesPerEpoch()) {
    throw new Error(
      `the chain asks for ${steps} steps; epoch 0 has ${loader.batchesPerEpoch()}`,
    );
  }
  const tensors = new Map<string, NamedArray>();
  const put = async (name: string, t: tf.Tensor) => {
    tensors.set(name, {
      shape: t.shape,
      data: Float32Array.from(await t.data()),
    });
    t.dispose();
  };
  const network = initialNetwork(config, genotype, trainData);
  try {
    for (const p of network.weights.trainable()) {
      await put(`param.${p.name}`, toTorchLayout(p.layout, p.variable));
    }
  } finally {
    network.dispose();
  }
  for (let step = 0; step < steps; step++) {
    const batch = batchToTensors(loader.batch(0, step));
    await put(`input.${step}`, nhwcToNchw(batch.images));
    await put(`target.${step}`, tf.cast(batch.labels, "float32"));
    tf.dispose([batch.images, batch.labels]);
  }
  const metadata = {
    genotype: JSON.stringify(genotype),
    C: String(config.channels),
    layers: String(config.layers),
    num_classes: String(trainData.numClasses),
    lr: String(
      cosineLearningRate(
        0,
        config.epochs,
        config.learningRate,
        config.learningRateMin,
      ),
    ),
    momentum: String(config.momentum),
    weight_decay: String(config.weightDecay),
    gradient_clip: String(config.gradientClip),
    auxiliary_weight: String(config.auxiliary ? config.auxiliaryWeight : 0),
    steps: String(steps),
  };
  await Deno.writeFile(path, encodeSafetensors(tensors, metadata));
}

/** Runs the twin on a chain file with `python` (one that imports torch). */
export async function referenceChain(
  path: string,
  python: string,
): Promise<ReferenceChain> {
  const script = new URL(
    "./twins/reference_train_chain.py",
    import.meta.url,
  ).pathname;
  const { success, stdout, stderr } = await new Deno.Command(python, {
    args: [script, path],
  }).output();
  const decoder = new TextDecoder();
  if (!success) {
    throw new Error(
      `${script} failed on ${path}:\n${decoder.decode(stderr)}`,
    );
  }
  const lines = decoder.decode(stdout).trim().split("\n");
  return JSON.parse(lines.at(-1)!) as ReferenceChain;
}

/** Per step: max(1e-4, 10 × the twin's float32 spread), as the parity bars. */
export function chainBars(reference: ReferenceChain): number[] {
  return reference.float32_error.map((e) =>
    Math.max(FLOAT64_TOLERANCE, REFERENCE_ERROR_FACTOR * e)
  );
}
