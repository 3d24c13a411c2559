/**
 * Search checkpoints: one safetensors file, written atomically, holding the
 * network weights and BatchNorm buffers (`weight/<name>`), the architecture
 * parameters (`arch/<name>`), the SGD momentum buffers (`sgd/<name>`), the Adam
 * moments (`adam/m/<name>`, `adam/v/<name>`) — all under the reference names, so
 * they do not depend on tfjs' per-process variable names — and, in the
 * metadata, the JSON state: completed epoch, Adam step count, the channel
 * sampler's random state and the per-epoch history.
 */
import * as tf from "../tf.ts";
import {
  encodeSafetensors,
  type NamedArray,
  readSafetensors,
} from "../safetensors.ts";
import { writeFileAtomic } from "../atomic_write.ts";
import type { RandomState } from "../random.ts";
import type { SearchNetwork } from "../space/search_network.ts";
import type { Adam, Sgd, TensorMap } from "./optimizers.ts";

/** The JSON part of a checkpoint. */
export interface CheckpointState<Row> {
  /** The last completed epoch (0-based). */
  epoch: number;
  /** Adam steps taken. */
  adamSteps: number;
  /** The channel sampler's generator state. */
  random: RandomState;
  /** One row per completed epoch. */
  history: Row[];
  /** Search seconds spent so far (all sessions). */
  seconds: number;
}

async function named(
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

/** Writes a checkpoint of the whole search state to `path`, atomically. */
export async function saveCheckpoint<Row>(
  path: string,
  network: SearchNetwork,
  sgd: Sgd,
  adam: Adam,
  state: CheckpointState<Row>,
): Promise<void> {
  const variableToName = new Map<string, string>();
  const weights: TensorMap = {};
  for (const p of network.weights.entries.values()) {
    weights[p.name] = p.variable;
    variableToName.set(p.variable.name, p.name);
  }
  const arch: TensorMap = {};
  for (const p of network.architectureStore.entries.values()) {
    arch[p.name] = p.variable;
    variableToName.set(p.variable.name, p.name);
  }
  const byName = (n: string) => variableToName.get(n) ?? n;
  const adamState = adam.state();
  const tensors = new Map([
    ...await named(weights, "weight/", (n) => n),
    ...await named(arch, "arch/", (n) => n),
    ...await named(sgd.state(), "sgd/", byName),
    ...await named(
      adamState,
      "adam/",
      (k) => `${k.slice(0, 2)}${byName(k.slice(2))}`,
    ),
  ]);
  await writeFileAtomic(
    path,
    encodeSafetensors(tensors, { state: JSON.stringify(state) }),
  );
}

/** Restores a checkpoint into `network` and the optimizers; returns its state. */
export async function loadCheckpoint<Row>(
  path: string,
  network: SearchNetwork,
  sgd: Sgd,
  adam: Adam,
): Promise<CheckpointState<Row>> {
  const file = await readSafetensors(path);
  if (!file.metadata.state) {
    throw new Error(`${path} is not a search checkpoint (no state)`);
  }
  const nameToVariable = new Map<string, string>();
  const assign = (store: typeof network.weights, prefix: string) => {
    for (const p of store.entries.values()) {
      nameToVariable.set(p.name, p.variable.name);
      const saved = file.tensors.get(`${prefix}${p.name}`);
      if (!saved) {
        throw new Error(
          `${path} lacks ${prefix}${p.name}: it belongs to another network`,
        );
      }
      tf.tidy(() => p.variable.assign(tf.tensor(saved.data, saved.shape)));
    }
  };
  assign(network.weights, "weight/");
  assign(network.architectureStore, "arch/");
  const sgdState: TensorMap = {};
  const adamState: TensorMap = {};
  for (const [key, value] of file.tensors) {
    if (key.startsWith("sgd/")) {
      sgdState[nameToVariable.get(key.slice(4))!] = tf.tensor(
        value.data,
        value.shape,
      );
    } else if (key.startsWith("adam/")) {
      const kind = key.slice(5, 7);
      adamState[`${kind}${nameToVariable.get(key.slice(7))!}`] = tf.tensor(
        value.data,
        value.shape,
      );
    }
  }
  const state = JSON.parse(file.metadata.state) as CheckpointState<Row>;
  sgd.restore(sgdState);
  adam.restore(adamState, state.adamSteps);
  network.random.setState(state.random);
  return state;
}
