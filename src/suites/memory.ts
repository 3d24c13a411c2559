/** The memory suite: peak memory and the largest batch per budget, against K. */
import { registerBenchSuite } from "../bench/suite_registry.ts";
import { memorySuite } from "../bench/suites.ts";
import { networkContext } from "./network_context.ts";

registerBenchSuite({
  name: "memory",
  inAll: true,
  async run(s) {
    return {
      files: [{
        name: "memory",
        schema: "memory suite",
        rows: await memorySuite(s.size, s.memoryBudgetBytes, s.log),
        context: networkContext(s.size),
      }],
    };
  },
});
