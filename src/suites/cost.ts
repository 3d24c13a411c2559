/** The cost suite: each method's step, and the search days it projects to. */
import { registerBenchSuite } from "../bench/suite_registry.ts";
import { costSuite } from "../bench/suites.ts";
import { networkContext } from "./network_context.ts";

registerBenchSuite({
  name: "cost",
  inAll: true,
  async run(s) {
    return {
      files: [{
        name: "cost",
        schema: "cost suite",
        rows: await costSuite(s.size, s.backend.gpu, s.log),
        context: {
          ...networkContext(s.size),
          image_size: 32,
          channels: "per method",
          layers: "per method",
        },
      }],
    };
  },
});
