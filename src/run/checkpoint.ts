/**
 * Checkpoints of long runs: one safetensors file, written atomically, holding
 * every parameter and buffer of the given stores under `<prefix>/<reference
 * name>` (a BatchNorm's running mean and variance as one `running_statistics`
 * buffer; older checkpoints with the two halves load too), the SGD momentum buffers (`sgd/<name>`) and Adam moments
 * (`adam/m/<name>`, `adam/v/<name>`) under the same names — so nothing depends on
 * tfjs' per-process variable names — and, in the metadata, the JSON state
 * (completed epoch, Adam step count, random states, the per-epoch history,
 * and for a checkpoint taken inside an epoch, how far that epoch got).
 */
import * as tf from "../tf.ts";
import {
  encodeSafetensors,
  type NamedArray,
  readSafetensors,
} from "../io/safetensors.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import type { Random, RandomState } from "../ops/random.ts";
import {
  type ParameterStore,
  torchRunningStatisticsNames,
} from "../space/parameters.ts";
import type { Adam, Sgd, TensorMap } from "../optim/optimizers.ts";

/**
 * How far an epoch had got when a checkpoint was taken inside it: the steps
 * done and the running sums its row is built from.
 */
export interface PartialEpoch {
  /** The epoch (0-based). */
  epoch: number;
  /** Steps of it done. */
  step: number;
  /** The epoch's sums over those steps (loss, accuracy, seconds...). */
  tally: Record<string, number>;
}

/** The JSON part of a checkpoint. */
export interface CheckpointState<Row> {
  /** The last completed epoch (0-based; -1 before the first ends). */
  epoch: number;
  /** The epoch after `epoch`, where the checkpoint was taken inside it. */
  partial?: PartialEpoch;
  /** Adam steps taken (0 without Adam). */
  adamSteps: number;
  /** Generator states, in the order the run lists its generators. */
  random: RandomState[];
  /** One row per completed epoch. */
  history: Row[];
}

/** What a checkpoint holds besides its JSON state. */
export interface CheckpointParts {
  /** Parameter stores, each under its own prefix (`weight`, `arch`). */
  stores: { prefix: string; store: ParameterStore }[];
  /** The weight optimizer. */
  sgd: Sgd;
  /** The architecture optimizer, if any. */
  adam?: Adam;
  /** Generators whose state must survive (channel sampling, drop-path). */
  randoms: Random[];
}

function nameMaps(stores: CheckpointParts["stores"]) {
  const toName = new Map<string, string>();
  const toVariable = new Map<string, string>();
  for (const { store } of stores) {
    for (const p of store.entries.values()) {
      toName.set(p.variable.name, p.name);
      toVariable.set(p.name, p.variable.name);
    }
  }
  return { toName, toVariable };
}

async function collect(
  tensors: TensorMap,
  prefix: string,
  rename: (n: string) => string,
) {
  const out = new Map<string, NamedArray>();
  for (const [name, t] of Object.entries(tensors)) {
    out.set(`${prefix}${rename(name)}`, {
      shape: t.shape,
      data: (await t.data()) as Float32Array,
    });
  }
  return out;
}

/**
 * A BatchNorm's `[2C]` running statistics from a checkpoint written before
 * they were one buffer (separate `running_mean` and `running_var`), or
 * undefined when `key` is not such a buffer or the file lacks a half.
 */
function joinedRunningStatistics(
  tensors: Map<string, NamedArray>,
  key: string,
): NamedArray | undefined {
  const names = torchRunningStatisticsNames(key);
  if (names === null) return undefined;
  const halves = names.map((name) => tensors.get(name));
  if (halves.some((h) => h === undefined)) return undefined;
  const [mean, variance] = halves as NamedArray[];
  const data = new Float32Array(mean.data.length + variance.data.length);
  data.set(mean.data);
  data.set(variance.data, mean.data.length);
  return { shape: [data.length], data };
}

/** Writes a checkpoint to `path`, atomically. */
export async function saveCheckpoint<Row>(
  path: string,
  parts: CheckpointParts,
  state: Omit<CheckpointState<Row>, "random" | "adamSteps">,
): Promise<void> {
  const { toName } = nameMaps(parts.stores);
  const byName = (n: string) => toName.get(n) ?? n;
  const tensors = new Map<string, NamedArray>();
  for (const { prefix, store } of parts.stores) {
    const values: TensorMap = {};
    for (const p of store.entries.values()) values[p.name] = p.variable;
    for (const [k, v] of await collect(values, `${prefix}/`, (n) => n)) {
      tensors.set(k, v);
    }
  }
  for (const [k, v] of await collect(parts.sgd.state(), "sgd/", byName)) {
    tensors.set(k, v);
  }
  if (parts.adam) {
    const adamState = parts.adam.state();
    for (
      const [k, v] of await collect(
        adamState,
        "adam/",
        (n) => `${n.slice(0, 2)}${byName(n.slice(2))}`,
      )
    ) {
      tensors.set(k, v);
    }
  }
  const full: CheckpointState<Row> = {
    ...state,
    adamSteps: parts.adam?.stepCount ?? 0,
    random: parts.randoms.map((r) => r.getState()),
  };
  await writeFileAtomic(
    path,
    encodeSafetensors(tensors, { state: JSON.stringify(full) }),
  );
}

/** Restores a checkpoint into the stores, optimizers and generators; returns its state. */
export async function loadCheckpoint<Row>(
  path: string,
  parts: CheckpointParts,
): Promise<CheckpointState<Row>> {
  const file = await readSafetensors(path);
  if (!file.metadata.state) {
    throw new Error(`${path} is not a checkpoint (no state)`);
  }
  const { toVariable } = nameMaps(parts.stores);
  for (const { prefix, store } of parts.stores) {
    for (const p of store.entries.values()) {
      const saved = file.tensors.get(`${prefix}/${p.name}`) ??
        joinedRunningStatistics(file.tensors, `${prefix}/${p.name}`);
      if (!saved) {
        throw new Error(
          `${path} lacks ${prefix}/${p.name}: it belongs to another network`,
        );
      }
      tf.tidy(() => p.variable.assign(tf.tensor(saved.data, saved.shape)));
    }
  }
  const sgdState: TensorMap = {};
  const adamState: TensorMap = {};
  for (const [key, value] of file.tensors) {
    if (key.startsWith("sgd/")) {
      sgdState[toVariable.get(key.slice(4))!] = tf.tensor(
        value.data,
        value.shape,
      );
    } else if (key.startsWith("adam/")) {
      adamState[`${key.slice(5, 7)}${toVariable.get(key.slice(7))!}`] = tf
        .tensor(value.data, value.shape);
    }
  }
  const state = JSON.parse(file.metadata.state) as CheckpointState<Row>;
  parts.sgd.restore(sgdState);
  parts.adam?.restore(adamState, state.adamSteps);
  parts.randoms.forEach((r, i) => r.setState(state.random[i]));
  return state;
}
