/**
 * The context columns of the suites that measure a network on seeded random
 * data at a benchmark size.
 */
import { BENCH_SHAPES, type BenchSize } from "../bench/suite_measurements.ts";

/** The data set and network columns of a random-data suite at `size`. */
export function networkContext(size: BenchSize): Record<string, unknown> {
  const shape = BENCH_SHAPES[size];
  return {
    dataset: "random-10-class",
    image_size: shape.imageSize,
    channels: shape.channels,
    layers: shape.layers,
    seed: 0,
  };
}
