/**
 * What the edges leaving one state of a search cell compute alike. Every such
 * edge takes the same input at the same stride, and with the reference's
 * channel selection (the first C/K channels) its processed channels, their
 * ReLU, both poolings with their BatchNorm(affine=False), and at stride 2 the
 * pooled bypass channels are the same tensors: none of them has weights. The
 * reference computes them once per edge; a cell computes them once per state
 * and the edges share them. The gradients that reach a shared tensor from
 * several edges are summed, as they would be at the state itself, and each
 * edge's pooling BatchNorm still records the batch statistics under its own
 * name, so that its running statistics are the reference's. In evaluation mode
 * the first edge's running statistics serve them all: the edges' are the same
 * numbers, updated from the same statistics.
 */
import type { Tensor4D } from "../tensor_types.ts";
import * as tf from "../tf.ts";
import type { BatchStatistics, ForwardContext } from "./parameters.ts";

interface Computed {
  output: tf.Tensor4D;
  /** The BatchNorm statistics recorded while computing it. */
  statistics: BatchStatistics[];
  /** Parameter-name prefix of the edge that computed it. */
  owner: string;
}

/** The shared computations of the edges leaving one state (one cell forward). */
export class SharedEdgeInputs {
  readonly #computed = new Map<string, Computed>();

  /**
   * `compute()` the first time `key` is asked for; afterwards the same tensor.
   * `prefix` is the asking edge's parameter-name prefix: the BatchNorm
   * statistics recorded by the first computation are recorded again for each
   * later edge, under its own BatchNorm names (the first edge's prefix
   * replaced by its own).
   */
  reuse(
    key: string,
    prefix: string,
    context: ForwardContext,
    compute: () => Tensor4D,
  ): Tensor4D {
    const known = this.#computed.get(key);
    if (known) {
      for (const entry of known.statistics) {
        if (!entry.name.startsWith(known.owner)) {
          throw new Error(
            `shared ${key}: statistics of ${entry.name} are not under ${known.owner}`,
          );
        }
        // The same tensor: updateRunningStatistics disposes it once.
        context.batchStatistics?.push({
          ...entry,
          name: `${prefix}${entry.name.slice(known.owner.length)}`,
        });
      }
      return known.output;
    }
    const before = context.batchStatistics?.length ?? 0;
    const output = compute();
    const statistics = context.batchStatistics?.slice(before) ?? [];
    this.#computed.set(key, { output, statistics, owner: prefix });
    return output;
  }
}
