/** The memory suite: peak memory and the largest batch per budget, against K. */
import { registerBenchSuite } from "../bench/suite_registry.ts";
import { memorySuite } from "../bench/suite_measurements.ts";
import { networkContext } from "./network_context.ts";
import { CONTEXT_COLUMNS, type CsvSchema } from "../bench/csv_schema.ts";
import { type Figure, numericFields, renderChart } from "../bench/chart.ts";

/** Its CSV: one row per K and edge normalization. */
export const MEMORY_SUITE_SCHEMA: CsvSchema = {
  name: "memory suite",
  files: "results/bench/<run>/memory.csv, results/baseline/memory.csv",
  columns: [
    ...CONTEXT_COLUMNS,
    "k",
    "edge_normalization",
    "batch_size",
    "peak_bytes",
    "peak_buffer_bytes",
    "peak_bytes_half_batch",
    "bytes_per_sample",
    "fixed_bytes",
    "ratio_to_k1",
    "memory_budget_bytes",
    "max_batch_under_budget",
    "rss_bytes",
  ],
};

registerBenchSuite({
  name: "memory",
  inAll: true,
  schemas: [MEMORY_SUITE_SCHEMA],
  async figures(read) {
    const memory = await read("memory");
    if (!memory) return [];
    const figures: Figure[] = [];
    const values = numericFields(memory, [
      "k",
      "peak_bytes",
      "max_batch_under_budget",
    ]).map((r) => ({
      ...r,
      peak_mib: (r.peak_bytes as number) / 2 ** 20,
    }));
    const color = {
      field: "edge_normalization",
      type: "nominal",
      title: "edge normalization",
    };
    figures.push({
      title: "Peak tensor memory of one search step vs K",
      caption: `batch ${memory[0].batch_size}, C=${memory[0].channels}, ${
        memory[0].layers
      } layers, ${memory[0].backend} on ${memory[0].device}`,
      svg: await renderChart({
        data: { values },
        mark: { type: "line", point: true },
        encoding: {
          x: {
            field: "k",
            type: "ordinal",
            title: "K (1/K of channels processed)",
          },
          y: { field: "peak_mib", type: "quantitative", title: "peak MiB" },
          color,
        },
      }),
    });
    figures.push({
      title: "Largest batch under the memory budget vs K",
      caption: `budget ${
        (Number(memory[0].memory_budget_bytes) / 2 ** 30).toFixed(0)
      } GiB, from peak bytes at two batch sizes`,
      svg: await renderChart({
        data: { values },
        mark: { type: "bar" },
        encoding: {
          x: { field: "k", type: "ordinal", title: "K" },
          xOffset: color,
          y: {
            field: "max_batch_under_budget",
            type: "quantitative",
            title: "max batch",
          },
          color,
        },
      }),
    });
    return figures;
  },
  async run(s) {
    return {
      files: [{
        name: "memory",
        schema: MEMORY_SUITE_SCHEMA,
        rows: await memorySuite(s.size, s.memoryBudgetBytes, s.log),
        context: networkContext(s.size),
      }],
    };
  },
});
