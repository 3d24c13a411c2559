/**
 * Parity of whole search steps against a search-step fixture: the reference's
 * `train_search.py` loop (architect step, then the clipped SGD weight step) run
 * for `steps` steps from stored weights, architecture parameters and batches.
 *
 * The steps run through the search's own code: the method from the search
 * method table, the optimizers from `searchOptimizers`, the step from
 * `SearchMethod.step`. Adam is only observed, to read the architecture gradient
 * it consumes. Every stored result (architecture gradient, architecture
 * parameters, the weight step's loss, the weights, BatchNorm's running
 * statistics) is compared by the fixture's floored relative error, each against
 * its own bar, max(1e-4, 10 × the reference's own float32 scatter on it).
 */
import * as tf from "../tf.ts";
import type { SafetensorsFile } from "../io/safetensors.ts";
import { fixtureTensor, metadataNumber } from "./fixture_fields.ts";
import {
  torchRunningStatisticsNames,
  toTorchLayout,
} from "../space/parameters.ts";
import { SearchNetwork } from "../space/search_network.ts";
import { importTorchWeights } from "../space/weight_import.ts";
import {
  resolveSearchConfig,
  SEARCH_METHODS,
  type SearchConfig,
  type SearchMethodName,
} from "../search/search_config.ts";
import { searchMethod } from "../search/search_methods.ts";
import { searchOptimizers } from "../search/search.ts";
import type { Adam, TensorMap } from "../optim/optimizers.ts";
import type { TensorBatch } from "../data/batch_tensors.ts";
import { nchwToNhwc } from "./nchw_layout.ts";
import { flooredRelativeError } from "./relative_error.ts";
import type { ParityRow } from "./parity_row.ts";
import { FLOAT64_TOLERANCE, perTensorBars, worstByRatio } from "./summary.ts";

/** The metadata key of the per-result float32 scatter of the reference. */
export const SEARCH_STEP_SPREAD_KEY = "float32_reference_spread";

/** Whether a fixture holds search steps (`init.param.*` and `step0.*`). */
export function isSearchStepFixture(file: SafetensorsFile): boolean {
  const names = [...file.tensors.keys()];
  return names.some((n) => n.startsWith("init.param.")) &&
    names.some((n) => n.startsWith("step0."));
}

/** One compared result: its stored name, error and bar. */
export interface ResultError {
  /** The stored name, e.g. `step1.arch_grad.alphas_normal`. */
  name: string;
  /** The floored relative error. */
  error: number;
  /** Its bar. */
  bar: number;
}

/** Outcome of {@linkcode checkSearchStepFixture}. */
export interface SearchStepParity {
  /** A row per step and kind of result: the worst of its kind by ratio to its bar. */
  rows: ParityRow[];
  /** Every compared result. */
  results: ResultError[];
  /** The result worst against its bar (as a row), with that ratio. */
  worst: { row: ParityRow; ratio: number } | null;
  /** Settings of the fixture that our method's defaults do not share. */
  settingMismatches: string[];
}

/** The method and the reference's settings, as a search configuration. */
function fixtureConfig(meta: Record<string, string>): SearchConfig {
  const method = meta.method;
  if (!(SEARCH_METHODS as readonly string[]).includes(method)) {
    throw new Error(
      `the fixture's __metadata__.method is "${method}"; expected one of ${
        SEARCH_METHODS.join(", ")
      }`,
    );
  }
  const betas = JSON.parse(meta.arch_betas ?? "null");
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new Error(
      `the fixture's __metadata__.arch_betas is not a pair: ${meta.arch_betas}`,
    );
  }
  return resolveSearchConfig(method as SearchMethodName, "paper", {
    learningRate: metadataNumber(meta, "lr"),
    momentum: metadataNumber(meta, "momentum"),
    weightDecay: metadataNumber(meta, "weight_decay"),
    gradientClip: metadataNumber(meta, "grad_clip"),
    archLearningRate: metadataNumber(meta, "arch_learning_rate"),
    archBeta1: Number(betas[0]),
    archBeta2: Number(betas[1]),
    archWeightDecay: metadataNumber(meta, "arch_weight_decay"),
  });
}

/** Where the fixture's settings differ from our method's defaults. */
function settingMismatches(
  meta: Record<string, string>,
  used: SearchConfig,
): string[] {
  const ours = resolveSearchConfig(used.method, "paper");
  const out: string[] = [];
  const keys: (keyof SearchConfig)[] = [
    "learningRate",
    "momentum",
    "weightDecay",
    "gradientClip",
    "archLearningRate",
    "archBeta1",
    "archBeta2",
    "archWeightDecay",
  ];
  for (const key of keys) {
    if (ours[key] !== used[key]) {
      out.push(
        `${used.method}'s ${key} is ${ours[key]}, the reference's ${used[key]}`,
      );
    }
  }
  const unrolled = meta.unrolled === "true";
  if (ours.secondOrder !== unrolled) {
    out.push(
      `${used.method} is ${
        ours.secondOrder ? "second" : "first"
      } order, the reference's unrolled is ${meta.unrolled}`,
    );
  }
  return out;
}

/** The search network the fixture's metadata and weights describe. */
function fixtureNetwork(file: SafetensorsFile): SearchNetwork {
  const meta = file.metadata;
  const channels = metadataNumber(meta, "C");
  const probe = fixtureTensor(
    file,
    "init.param.cells.0._ops.0._ops.4.op.1.weight",
  );
  return new SearchNetwork({
    channels,
    layers: metadataNumber(meta, "layers"),
    numClasses: metadataNumber(meta, "num_classes"),
    partialChannels: channels / probe.shape[0],
    edgeNormalization: file.tensors.has("init.arch.betas_normal"),
    inputChannels: fixtureTensor(file, "step0.input_train").shape[1],
  });
}

/** A step's stored batch (`step<k>.input_<split>`, `.target_<split>`). */
function fixtureBatch(
  file: SafetensorsFile,
  prefix: string,
  split: "train" | "valid",
): TensorBatch {
  const images = fixtureTensor(file, `${prefix}input_${split}`);
  const labels = fixtureTensor(file, `${prefix}target_${split}`);
  return {
    images: nchwToNhwc(images) as tf.Tensor4D,
    labels: tf.tensor1d(labels.data, "int32"),
  };
}

/**
 * Makes `adam` keep a copy of each gradient it is given (the architecture
 * gradient of the step); returns the list the copies land in, newest last.
 */
function observeGradients(adam: Adam): TensorMap[] {
  const seen: TensorMap[] = [];
  const step = adam.step.bind(adam);
  adam.step = (gradients, lr) => {
    seen.push(
      Object.fromEntries(
        Object.entries(gradients).map(([k, g]) => [k, tf.clone(g)]),
      ),
    );
    step(gradients, lr);
  };
  return seen;
}

/** Our value of every result the fixture stores for a step, by stored name. */
async function stepResults(
  network: SearchNetwork,
  archGradients: TensorMap | undefined,
  loss: number,
  prefix: string,
): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  out.set(`${prefix}loss_train`, new Float32Array([loss]));
  for (const p of network.architectureStore.trainable()) {
    out.set(`${prefix}arch.${p.name}`, await p.variable.data() as Float32Array);
    const g = archGradients?.[p.variable.name];
    if (g) {
      out.set(`${prefix}arch_grad.${p.name}`, await g.data() as Float32Array);
    }
  }
  for (const p of network.weights.entries.values()) {
    const halves = torchRunningStatisticsNames(p.name);
    const values = halves
      ? await p.variable.data() as Float32Array
      : await readTorchLayout(p.layout, p.variable);
    if (halves) {
      const c = values.length / 2;
      out.set(`${prefix}buffer.${halves[0]}`, values.slice(0, c));
      out.set(`${prefix}buffer.${halves[1]}`, values.slice(c));
    } else if (p.trainable) {
      out.set(`${prefix}param.${p.name}`, values);
    }
  }
  return out;
}

async function readTorchLayout(
  layout: Parameters<typeof toTorchLayout>[0],
  variable: tf.Variable,
): Promise<Float32Array> {
  const t = toTorchLayout(layout, variable);
  const values = await t.data() as Float32Array;
  t.dispose();
  return values;
}

/** The kind of a stored result, for the table's rows. */
function resultKind(name: string): string {
  const kind = name.split(".")[1];
  return kind === "loss_train" ? "loss" : kind;
}

/**
 * Runs the fixture's steps through the search's own step, from its stored
 * starting state and batches; returns our value of every result the fixture
 * stores, by stored name. A stored result we have no counterpart of is an error.
 */
export async function runSearchStepFixture(
  file: SafetensorsFile,
): Promise<Map<string, Float32Array>> {
  const meta = file.metadata;
  const steps = metadataNumber(meta, "steps");
  const config = fixtureConfig(meta);
  const method = searchMethod(config.method);
  const network = fixtureNetwork(file);
  const { sgd, adam } = searchOptimizers(network, config);
  const observed = observeGradients(adam);
  const ours = new Map<string, Float32Array>();
  try {
    const report = importTorchWeights(
      network.weights,
      file.tensors,
      "init.param.",
    );
    if (report.missing.length > 0) {
      throw new Error(
        `the fixture lacks init.param.${report.missing[0]} (and ${
          report.missing.length - 1
        } more) of our network`,
      );
    }
    importTorchWeights(network.architectureStore, file.tensors, "init.arch.");
    for (let k = 0; k < steps; k++) {
      const prefix = `step${k}.`;
      const batches = {
        weights: fixtureBatch(file, prefix, "train"),
        architecture: fixtureBatch(file, prefix, "valid"),
      };
      const before = observed.length;
      let loss: number;
      try {
        ({ loss } = await method.step({
          step: {
            network,
            adam,
            sgd,
            archLearningRate: config.archLearningRate,
            weightLearningRate: config.learningRate,
            gradientClip: config.gradientClip,
          },
          batches,
          where: `fixture step ${k}`,
          keepLogits: false,
          at: { epoch: 0, step: k, seed: config.seed },
        }));
      } finally {
        tf.dispose([
          batches.weights.images,
          batches.weights.labels,
          batches.architecture.images,
          batches.architecture.labels,
        ]);
      }
      const gradients = observed.length > before ? observed.at(-1) : undefined;
      const values = await stepResults(network, gradients, loss, prefix);
      for (const name of file.tensors.keys()) {
        if (!name.startsWith(prefix) || /\.(input|target)_/.test(name)) {
          continue;
        }
        const value = values.get(name);
        if (!value) {
          throw new Error(
            `stored result ${name} has no counterpart in our search step`,
          );
        }
        ours.set(name, value);
      }
    }
  } finally {
    for (const g of observed) tf.dispose(Object.values(g));
    sgd.dispose();
    adam.dispose();
    network.dispose();
  }
  return ours;
}

/** Runs the fixture's steps (see {@linkcode runSearchStepFixture}) and compares every result. */
export async function checkSearchStepFixture(
  file: SafetensorsFile,
): Promise<SearchStepParity> {
  const meta = file.metadata;
  const mismatches = settingMismatches(meta, fixtureConfig(meta));
  const bar = perTensorBars(meta, SEARCH_STEP_SPREAD_KEY, FLOAT64_TOLERANCE) ??
    (() => FLOAT64_TOLERANCE);
  const results: ResultError[] = [];
  for (const [name, value] of await runSearchStepFixture(file)) {
    results.push({
      name,
      error: flooredRelativeError(value, file.tensors.get(name)!.data),
      bar: bar(name),
    });
  }
  return {
    rows: summaryRows(results),
    results,
    worst: worstByRatio(results.map(asRow)),
    settingMismatches: mismatches,
  };
}

/** A result as a parity row of its own. */
function asRow(r: ResultError): ParityRow {
  return {
    check: r.name,
    kind: resultKind(r.name) === "arch_grad" ? "gradient" : "output",
    relativeError: r.error,
    limit: r.bar,
  };
}

/** One row per step and kind: the worst result of that kind by ratio to its bar. */
function summaryRows(results: ResultError[]): ParityRow[] {
  const groups = new Map<string, ResultError[]>();
  for (const r of results) {
    const [step] = r.name.split(".");
    const key = `${step} ${resultKind(r.name)}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  const rows: ParityRow[] = [];
  for (const [key, members] of groups) {
    const { row } = worstByRatio(members.map(asRow))!;
    rows.push({
      ...row,
      check: members.length === 1
        ? row.check
        : `${key} (worst of ${members.length}: ${
          row.check.split(".").slice(2).join(".")
        })`,
    });
  }
  return rows;
}
