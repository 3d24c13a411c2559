/**
 * The channel arithmetic that partial channel connections need, checked from
 * the configuration alone (no tensors), so that the CLI can reject a shape
 * before it starts a backend or creates a run folder.
 */
import { isReduction } from "./cell_stack.ts";

/**
 * Checks that every cell's channel count is divisible by K, and that reduction
 * cells give their stride-2 skip connection (FactorizedReduce) an even number
 * of processed channels. Runs before anything is built, so a command can reject
 * a configuration before it creates a run folder.
 */
export function checkPartialChannels(
  config: { channels: number; layers: number; partialChannels: number },
): void {
  const k = config.partialChannels;
  let channels = config.channels;
  for (let i = 0; i < config.layers; i++) {
    const reduction = isReduction(i, config.layers);
    if (reduction) channels *= 2;
    if (channels % k !== 0) {
      throw new Error(
        `partial channels: cell ${i} has ${channels} channels, not divisible by K=${k}; use a C that is a multiple of K (C=${config.channels} given)`,
      );
    }
    if (reduction && (channels / k) % 2 !== 0) {
      throw new Error(
        `partial channels: reduction cell ${i} processes ${channels}/${k} = ${
          channels / k
        } channels, but its stride-2 skip connection (FactorizedReduce) needs an even number; choose C so that 2C/K is even (C=${config.channels} given)`,
      );
    }
  }
}
