/**
 * The budget sweep's figures (a grid planned with `--search-epochs`): test
 * error against search seconds, one line per search method through its
 * budgets, with the published and random cells as horizontal bands; and the
 * edges the last search epoch changed against the budget, which shows how a
 * search settles.
 */
import { type Figure, renderChart } from "./chart.ts";
import { meanStd } from "./error_summary.ts";

type Row = Record<string, string>;

/** One group's figures: mean ± std of a column, and the group's runs. */
interface Group {
  method: string;
  budget: string;
  searchEpochs: number;
  rows: Row[];
}

function groups(rows: Row[]): Group[] {
  const byKey = new Map<string, Group>();
  for (const row of rows) {
    const key = `${row.method}\u0000${row.budget ?? ""}`;
    const group = byKey.get(key) ?? {
      method: row.method,
      budget: row.budget ?? "",
      searchEpochs: Number(row.search_epochs),
      rows: [],
    };
    group.rows.push(row);
    byKey.set(key, group);
  }
  return [...byKey.values()];
}

function stat(group: Group, column: string) {
  return meanStd(group.rows.map((r) => Number(r[column])));
}

/** Whether the rows are a budget sweep's (some row has a budget). */
export function isSweep(rows: Row[]): boolean {
  return rows.some((r) => (r.budget ?? "") !== "");
}

/**
 * The column that measures a searched row's cost: the search's CPU seconds
 * where every searched row has them (unmoved by pauses and by other work on
 * the machine), else its wall seconds.
 */
export function searchCostColumn(rows: Row[]): {
  column: "search_cpu_seconds" | "search_seconds";
  title: string;
} {
  const searched = rows.filter((r) => (r.budget ?? "") !== "");
  const cpu = searched.length > 0 &&
    searched.every((r) => Number(r.search_cpu_seconds) > 0);
  return cpu
    ? { column: "search_cpu_seconds", title: "search CPU seconds" }
    : { column: "search_seconds", title: "search seconds" };
}

/** The sweep's two figures from its `error.csv` rows. */
export async function sweepFigures(rows: Row[]): Promise<Figure[]> {
  const all = groups(rows);
  const cost = searchCostColumn(rows);
  const searched = all.filter((g) => g.budget !== "");
  const cells = all.filter((g) => g.budget === "");
  const first = rows[0];
  const where = `${first.size} size, ${
    first.train_epochs || "the size's"
  } training epochs, ${first.backend} on ${first.device}`;
  const seeds = Math.max(...all.map((g) => g.rows.length));
  const means = searched.map((g) => {
    const error = stat(g, "test_error");
    const edges = stat(g, "edges_changed_last_epoch");
    return {
      method: g.method,
      budget: g.budget,
      search_epochs: g.searchEpochs,
      runs: g.rows.length,
      search_seconds: stat(g, cost.column).mean,
      test_error: error.mean,
      error_low: error.mean - error.std,
      error_high: error.mean + error.std,
      edges: edges.mean,
      edges_low: edges.mean - edges.std,
      edges_high: edges.mean + edges.std,
    };
  });
  const bands = cells.map((g) => {
    const error = stat(g, "test_error");
    return {
      method: g.method,
      test_error: error.mean,
      error_low: error.mean - error.std,
      error_high: error.mean + error.std,
    };
  });
  const runs = searched.flatMap((g) =>
    g.rows.map((r) => ({
      method: r.method,
      search_seconds: Number(r[cost.column]),
      test_error: Number(r.test_error),
    }))
  );
  // One colour per method or cell in both figures: the search methods first.
  const domain = [...searched, ...cells].map((g) => g.method)
    .filter((m, i, all) => all.indexOf(m) === i);
  const color = {
    field: "method",
    type: "nominal",
    title: "method or cell",
    scale: { domain },
    legend: { symbolOpacity: 1, symbolType: "circle" },
  };
  const searchColor = {
    ...color,
    title: "method",
    legend: {
      ...color.legend,
      values: domain.filter((m) => searched.some((g) => g.method === m)),
    },
  };
  const x = {
    field: "search_seconds",
    type: "quantitative",
    title: `${cost.title} (per run, log scale)`,
    scale: { type: "log" },
  };
  const errorAxis = {
    type: "quantitative",
    title: "test error",
    scale: { zero: false },
    axis: { format: ".1%" },
  };
  const errorFigure: Figure = {
    title: "Test error vs search cost over the budget sweep",
    caption:
      `each search method's mean over its seeds at each budget (search epochs labelled), with ± one standard deviation; each seed a small point. The bands are the published and random cells, trained alike without a search: mean ± one standard deviation. ${where}; up to ${seeds} seeds.`,
    svg: await renderChart({
      layer: [
        {
          data: { values: bands },
          mark: { type: "rect", opacity: 0.12 },
          encoding: {
            y: { field: "error_low", ...errorAxis },
            y2: { field: "error_high" },
            color,
          },
        },
        {
          data: { values: bands },
          mark: { type: "rule", strokeDash: [4, 3] },
          encoding: { y: { field: "test_error", type: "quantitative" }, color },
        },
        {
          data: { values: runs },
          mark: { type: "point", opacity: 0.5, size: 20 },
          encoding: {
            x,
            y: { field: "test_error", type: "quantitative" },
            color,
          },
        },
        {
          data: { values: means },
          mark: { type: "line", point: { filled: true, size: 80 } },
          encoding: {
            x,
            y: { field: "test_error", type: "quantitative" },
            color,
            order: { field: "search_epochs", type: "quantitative" },
          },
        },
        {
          data: { values: means },
          mark: { type: "rule", strokeWidth: 2 },
          encoding: {
            x,
            y: { field: "error_low", type: "quantitative" },
            y2: { field: "error_high" },
            color,
          },
        },
        {
          data: { values: means },
          mark: { type: "text", dx: 14, dy: -8, fontSize: 10 },
          encoding: {
            x,
            y: { field: "test_error", type: "quantitative" },
            text: { field: "budget" },
            color,
          },
        },
      ],
    }),
  };
  const settleFigure: Figure = {
    title: "Edges changed by the last search epoch vs the search budget",
    caption:
      `of the 16 edges of the derived normal and reduction cells, those whose input or operation the last epoch changed: mean over seeds ± one standard deviation. A settled search changes none. ${where}.`,
    svg: await renderChart({
      layer: [
        {
          data: { values: means },
          mark: { type: "line", point: { filled: true, size: 80 } },
          encoding: {
            x: {
              field: "search_epochs",
              type: "quantitative",
              title: "search epochs",
            },
            y: {
              field: "edges",
              type: "quantitative",
              title: "edges changed in the last epoch (of 16)",
              scale: { domain: [0, 16] },
            },
            color: searchColor,
          },
        },
        {
          data: { values: means },
          mark: { type: "rule", strokeWidth: 2 },
          encoding: {
            x: { field: "search_epochs", type: "quantitative" },
            y: { field: "edges_low", type: "quantitative" },
            y2: { field: "edges_high" },
            color: searchColor,
          },
        },
      ],
    }),
  };
  return [errorFigure, settleFigure];
}
