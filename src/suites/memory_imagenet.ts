/**
 * The memory suite on the ImageNet search network (the three-convolution stem,
 * 224x224 images): peak memory and the largest batch per budget at K = 1, 2
 * and 4. Not in `--suite all`.
 */
import { registerBenchSuite } from "../bench/suite_registry.ts";
import { memorySuite } from "../bench/suite_measurements.ts";
import { networkContext } from "./network_context.ts";
import { MEMORY_SUITE_SCHEMA } from "./memory.ts";

registerBenchSuite({
  name: "memory-imagenet",
  inAll: false,
  schemas: [MEMORY_SUITE_SCHEMA],
  async run(s) {
    return {
      files: [{
        name: "memory-imagenet",
        schema: MEMORY_SUITE_SCHEMA,
        rows: await memorySuite(s.size, s.memoryBudgetBytes, s.log, {
          stem: "imagenet",
          imageSize: 224,
          ks: [1, 2, 4],
        }),
        context: { ...networkContext(s.size), image_size: 224 },
      }],
    };
  },
});
