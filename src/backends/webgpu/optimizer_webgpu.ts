/**
 * The webgpu backend's kernels for the optimizer's ops and batch norm's
 * running statistics: a variable's SGD update as two linear combinations, a
 * group of variables (or of running statistics) one dispatch, in place.
 */
import * as tf from "../../tf.ts";
import {
  runningAverage,
  type RunningAverageItem,
} from "../../ops/running_average.ts";
import {
  type SgdItem,
  type SgdSettings,
  sgdUpdate,
} from "../../ops/sgd_update.ts";
import { linearCombinationWebGpu } from "./linear_combination_program.ts";
import { runningAveragesWebGpu } from "./running_average_program.ts";
import { sgdUpdatesWebGpu } from "./sgd_program.ts";

/** `sgdUpdate` as two linear combinations: the buffer, then the variable. */
export function sgdUpdateWebGpu(
  v: tf.Variable,
  g: tf.Tensor,
  previous: tf.Tensor | undefined,
  { lr, momentum, weightDecay }: SgdSettings,
): tf.Tensor {
  const terms: [tf.Tensor, number][] = [[g, 1]];
  if (weightDecay) terms.push([v, weightDecay]);
  if (previous && momentum) terms.push([previous, momentum]);
  const next = linearCombinationWebGpu(terms);
  tf.tidy(() => v.assign(linearCombinationWebGpu([[v, 1], [next, -lr]])));
  return next;
}

/** `sgdUpdates`: groups in place, the rest one by one. */
export function sgdUpdatesGrouped(
  items: SgdItem[],
  settings: SgdSettings,
): tf.Tensor[] {
  return sgdUpdatesWebGpu(
    items,
    settings,
    (item) => sgdUpdate(item.variable, item.gradient, item.previous, settings),
  );
}

/** `runningAverages`: groups in place, the rest one by one. */
export function runningAveragesGrouped(
  items: RunningAverageItem[],
  momentum: number,
): void {
  const rest = runningAveragesWebGpu(items, momentum);
  tf.tidy(() => {
    for (const { running, batch, correction } of rest) {
      running.assign(runningAverage(running, batch, momentum, correction));
    }
  });
}
