/** The cost suite: each method's step, and the search days it projects to. */
import { registerBenchSuite } from "../bench/suite_registry.ts";
import { costSuite } from "../bench/suite_measurements.ts";
import { networkContext } from "./network_context.ts";
import { CONTEXT_COLUMNS, type CsvSchema } from "../bench/csv_schema.ts";

/** Its CSV: one row per method. */
export const COST_SUITE_SCHEMA: CsvSchema = {
  name: "cost suite",
  files: "results/bench/<run>/cost.csv, results/baseline/cost.csv",
  columns: [
    ...CONTEXT_COLUMNS,
    "method",
    "k",
    "edge_normalization",
    "second_order",
    "batch_size",
    "steps_per_epoch",
    "epochs",
    "median_step_ms",
    "seconds_per_epoch",
    "projected_search_days",
    "days_unit",
    "peak_bytes",
    "peak_buffer_bytes",
  ],
};

registerBenchSuite({
  name: "cost",
  inAll: true,
  schemas: [COST_SUITE_SCHEMA],
  async run(s) {
    return {
      files: [{
        name: "cost",
        schema: COST_SUITE_SCHEMA,
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
