/** The batch suite: step time and memory against the batch size. */
import { registerBenchSuite } from "../bench/suite_registry.ts";
import { batchSuite } from "../bench/suite_measurements.ts";
import { networkContext } from "./network_context.ts";
import { CONTEXT_COLUMNS, type CsvSchema } from "../bench/csv_schema.ts";
import { type Figure, numericFields, renderChart } from "../bench/chart.ts";

/** Its CSV: one row per K and batch size. */
export const BATCH_SUITE_SCHEMA: CsvSchema = {
  name: "batch suite",
  files: "results/bench/<run>/batch.csv, results/baseline/batch.csv",
  columns: [
    ...CONTEXT_COLUMNS,
    "k",
    "edge_normalization",
    "batch_size",
    "median_ms",
    "images_per_s",
    "peak_bytes",
    "peak_buffer_bytes",
    "kernels_per_step",
  ],
};

registerBenchSuite({
  name: "batch",
  inAll: true,
  schemas: [BATCH_SUITE_SCHEMA],
  async figures(read) {
    const batch = await read("batch");
    if (!batch) return [];
    const figures: Figure[] = [];
    const values = numericFields(batch, [
      "k",
      "batch_size",
      "median_ms",
      "images_per_s",
    ]);
    for (
      const [field, title] of [["median_ms", "step time (ms)"], [
        "images_per_s",
        "images per second",
      ]]
    ) {
      figures.push({
        title: `${title} vs batch size`,
        caption: `${batch[0].backend} on ${batch[0].device}`,
        svg: await renderChart({
          data: { values },
          mark: { type: "line", point: true },
          encoding: {
            // Batch sizes are discrete: an ordinal axis ticks only them.
            x: { field: "batch_size", type: "ordinal", title: "batch size" },
            y: { field, type: "quantitative", title },
            color: { field: "k", type: "nominal", title: "K" },
          },
        }),
      });
    }
    return figures;
  },
  async run(s) {
    return {
      files: [{
        name: "batch",
        schema: BATCH_SUITE_SCHEMA,
        rows: await batchSuite(s.size, s.log),
        context: networkContext(s.size),
      }],
    };
  },
});
