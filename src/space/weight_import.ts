/**
 * Loads PyTorch-named, PyTorch-laid-out weights (as in the parity fixtures'
 * `param.<state-dict name>` entries) into a {@linkcode ParameterStore}.
 */
import * as tf from "../tf.ts";
import type { NamedArray } from "../io/safetensors.ts";
import {
  fromTorchLayout,
  type ParameterStore,
  runningStatisticsHalf,
} from "./parameters.ts";

/** What {@linkcode importTorchWeights} matched. */
export interface ImportReport {
  /** Our parameters that received a value. */
  loaded: string[];
  /** Our trainable parameters the file did not hold. */
  missing: string[];
}

/**
 * Assigns every `${prefix}${name}` tensor of `tensors` to our parameter `name`,
 * converting the layout. A file tensor under the prefix that matches none of our
 * parameters, or a shape that does not fit, is an error that names it.
 */
export function importTorchWeights(
  store: ParameterStore,
  tensors: Map<string, NamedArray>,
  prefix: string,
): ImportReport {
  const loaded: string[] = [];
  for (const [fileName, array] of tensors) {
    if (!fileName.startsWith(prefix)) continue;
    const name = fileName.slice(prefix.length);
    if (name.endsWith("num_batches_tracked")) continue;
    const half = runningStatisticsHalf(name);
    if (half && store.entries.has(half.name)) {
      importRunningStatisticsHalf(store, fileName, array, half);
      loaded.push(name);
      continue;
    }
    const parameter = store.entries.get(name);
    if (!parameter) {
      throw new Error(
        `weight ${fileName} has no counterpart in our network (looked for parameter "${name}")`,
      );
    }
    tf.tidy(() => {
      const value = fromTorchLayout(parameter.layout, array.shape, array.data);
      if (!tf.util.arraysEqual(value.shape, parameter.variable.shape)) {
        throw new Error(
          `weight ${fileName}: shape [${array.shape}] maps to [${value.shape}], but our parameter has [${parameter.variable.shape}]`,
        );
      }
      parameter.variable.assign(value);
    });
    loaded.push(name);
  }
  const loadedSet = new Set(loaded);
  const missing = store.trainable().map((p) => p.name).filter((n) =>
    !loadedSet.has(n)
  );
  return { loaded, missing };
}

/**
 * PyTorch's `running_mean` or `running_var` of a BatchNorm into its half of
 * our `[2C]` running statistics.
 */
function importRunningStatisticsHalf(
  store: ParameterStore,
  fileName: string,
  array: NamedArray,
  half: { name: string; half: number },
): void {
  const variable = store.entries.get(half.name)!.variable;
  const channels = variable.size / 2;
  if (array.data.length !== channels) {
    throw new Error(
      `weight ${fileName}: ${array.data.length} values, but our BatchNorm has ${channels} channels`,
    );
  }
  tf.tidy(() => {
    const halves = tf.split(variable, 2);
    halves[half.half] = tf.tensor1d(array.data);
    variable.assign(tf.concat(halves));
  });
}
