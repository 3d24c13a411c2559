import {
  type CsvRow,
  type Figure,
  numericFields,
  renderChart,
} from "./chart.ts";
import { summarizeErrors } from "./error_summary.ts";
import type { SuiteRow } from "./suite_measurements.ts";

/**
 * Test error against search cost: one point per run (each seed) and, per
 * method, the mean with a bar of ± one standard deviation. Reference cells
 * (published and random) sit at zero search seconds.
 */
export async function errorFigure(rows: CsvRow[]): Promise<Figure> {
  const runs = numericFields(rows, ["test_error", "search_seconds", "seed"]);
  const means = summarizeErrors(runs as SuiteRow[]).map((m) => {
    const mean = m.test_error_mean as number;
    const std = m.test_error_std as number;
    return {
      method: m.method,
      test_error: mean,
      low: mean - std,
      high: mean + std,
      search_seconds: m.search_seconds_mean,
    };
  });
  const color = { field: "method", type: "nominal", title: "method" };
  const x = {
    field: "search_seconds",
    type: "quantitative",
    title: "search seconds (per run)",
  };
  const first = rows[0];
  return {
    title: "Test error vs search cost per method",
    caption:
      `each seed a small point; the large point is the mean, the bar ± one standard deviation. ${
        first.size ?? ""
      } size, ${first.backend} on ${first.device}, ${
        first.test_images ?? "all"
      } test images; the published cells and random ones are trained without a search`,
    svg: await renderChart({
      layer: [
        {
          data: { values: runs },
          mark: { type: "point", opacity: 0.6, size: 30 },
          encoding: {
            x,
            y: {
              field: "test_error",
              type: "quantitative",
              title: "test error",
              scale: { zero: false },
              axis: { format: ".0%" },
            },
            color,
          },
        },
        {
          data: { values: means },
          mark: { type: "rule", strokeWidth: 2 },
          encoding: {
            x,
            y: { field: "low", type: "quantitative" },
            y2: { field: "high" },
            color,
          },
        },
        {
          data: { values: means },
          mark: { type: "point", filled: true, size: 120 },
          encoding: {
            x,
            y: { field: "test_error", type: "quantitative" },
            color,
          },
        },
      ],
    }),
  };
}
