/** The batch suite: step time and memory against the batch size. */
import { registerBenchSuite } from "../bench/suite_registry.ts";
import { batchSuite } from "../bench/suites.ts";
import { networkContext } from "./network_context.ts";

registerBenchSuite({
  name: "batch",
  inAll: true,
  async run(s) {
    return {
      files: [{
        name: "batch",
        schema: "batch suite",
        rows: await batchSuite(s.size, s.log),
        context: networkContext(s.size),
      }],
    };
  },
});
