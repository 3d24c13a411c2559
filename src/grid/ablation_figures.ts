/**
 * The ablation grid's figures (`results/error/ablation/`): test error against
 * K with edge normalization on and the off point at K = 4, the search's
 * stability against K (edges changed over the last epochs, and how many
 * picks the seeds' final cells share), and the batch comparison. Each row's
 * K, edge normalization and batch come from its manifest row, else from its
 * method's own setting at the row's size.
 */
import {
  type CsvRow,
  type Figure,
  readCsvRows,
  renderChart,
} from "../bench/chart.ts";
import { runFolder } from "./grid_paths.ts";
import type { GridRow } from "./manifest.ts";
import { resolveSearchConfig } from "../search/search_config.ts";
import { parseGenotype } from "../space/genotype.ts";
import { changedPicks, sharedPicks } from "../search/architecture_trace.ts";

/** The epochs at a search's end whose changed edges measure its stability. */
export const LAST_EPOCHS = 5;

/** One finished ablation row, its settings resolved. */
export interface AblationPoint {
  index: number;
  method: string;
  /** The arm label (`k2`, `k4-noen`, `b256`...), or the method's own setting. */
  arm: string;
  seed: number;
  k: number;
  edgeNormalization: boolean;
  batchSize: number;
  testError: number;
  /** Whether the row sets its batch or learning rate (the batch test's arms). */
  changesBatch: boolean;
  /** Mean picks changed per epoch over the last epochs (null: no trace). */
  changedLast: number | null;
  genotype: string;
}

/** The changed picks per epoch of a search's `epochs.csv` (its genotypes). */
export function changedPerEpoch(epochs: CsvRow[]): number[] {
  const cells = epochs.map((r, i) =>
    parseGenotype(r.genotype, `epochs.csv row ${i}`)
  );
  return cells.slice(1).map((cell, i) => changedPicks(cells[i], cell));
}

/**
 * The finished rows with their settings; `searchEpochs(row)` gives the row's
 * search `epochs.csv` rows, or null where the run folder is not kept.
 */
export async function ablationPoints(
  manifest: CsvRow[],
  rows: CsvRow[],
  searchEpochs: (manifestRow: CsvRow) => Promise<CsvRow[] | null>,
): Promise<AblationPoint[]> {
  const byIndex = new Map(manifest.map((m) => [m.index, m]));
  const points: AblationPoint[] = [];
  for (const row of rows) {
    const m = byIndex.get(row.index);
    if (!m || row.test_error === "" || row.test_error === undefined) continue;
    const own = resolveSearchConfig(m.method, m.size);
    const epochs = await searchEpochs(m);
    const changed = epochs ? changedPerEpoch(epochs).slice(-LAST_EPOCHS) : [];
    points.push({
      index: Number(m.index),
      method: m.method,
      arm: m.arm || m.method,
      seed: Number(m.seed),
      k: m.partial_channels ? Number(m.partial_channels) : own.partialChannels,
      edgeNormalization: m.edge_normalization
        ? m.edge_normalization === "true"
        : own.edgeNormalization,
      batchSize: m.batch_size ? Number(m.batch_size) : own.batchSize,
      changesBatch: Boolean(m.batch_size || m.search_lr),
      testError: Number(row.test_error),
      changedLast: changed.length > 0
        ? changed.reduce((s, c) => s + c, 0) / changed.length
        : null,
      genotype: row.genotype,
    });
  }
  return points;
}

/** The mean pairwise shared picks (of 16) of the points' final cells. */
export function meanAgreement(points: AblationPoint[]): number | null {
  const cells = points.map((p) => parseGenotype(p.genotype, `row ${p.index}`));
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < cells.length; i++) {
    for (let j = i + 1; j < cells.length; j++) {
      sum += sharedPicks(cells[i], cells[j]);
      pairs++;
    }
  }
  return pairs > 0 ? sum / pairs : null;
}

/** The K figures' x axis: K as a category, its labels upright. */
const K_AXIS = {
  field: "k",
  type: "ordinal",
  title: "K (1/K of channels)",
  axis: { labelAngle: 0 },
};

/**
 * The K figures' colour: one series per method and edge-normalization
 * setting, the legend wide enough for "pcdarts, edge normalization off".
 */
const SERIES_COLOR = {
  field: "series",
  type: "nominal",
  title: "arm",
  legend: { labelLimit: 320 },
};

/** The series a point belongs to in the K figures. */
function seriesOf(p: AblationPoint): string {
  return `${p.method}, edge normalization ${
    p.edgeNormalization ? "on" : "off"
  }`;
}

/** Points of the K comparison: the arms that change K or edge normalization only. */
function kPoints(points: AblationPoint[]): AblationPoint[] {
  return points.filter((p) => !p.changesBatch);
}

/** Per series and K, the mean of `value` over the points that have one. */
function means(
  points: AblationPoint[],
  value: (p: AblationPoint) => number | null,
): Record<string, unknown>[] {
  const groups = new Map<string, AblationPoint[]>();
  for (const p of points) {
    const key = `${seriesOf(p)}|${p.k}`;
    groups.set(key, [...groups.get(key) ?? [], p]);
  }
  return [...groups.values()].flatMap((g) => {
    const values = g.map(value).filter((v): v is number => v !== null);
    return values.length === 0 ? [] : [{
      series: seriesOf(g[0]),
      k: g[0].k,
      value: values.reduce((s, v) => s + v, 0) / values.length,
      seeds: values.length,
    }];
  });
}

/** Seeds as small points, means as large ones, per series against K. */
function againstK(
  points: AblationPoint[],
  value: (p: AblationPoint) => number | null,
  title: string,
  format?: string,
): Promise<string> {
  const seeds = points.flatMap((p) => {
    const v = value(p);
    return v === null ? [] : [{ series: seriesOf(p), k: p.k, value: v }];
  });
  const color = SERIES_COLOR;
  const x = K_AXIS;
  const y = {
    field: "value",
    type: "quantitative",
    title,
    scale: { zero: false },
    ...(format ? { axis: { format } } : {}),
  };
  return renderChart({
    layer: [
      {
        data: { values: seeds },
        mark: { type: "point", opacity: 0.6, size: 30 },
        encoding: { x, y, color },
      },
      {
        data: { values: means(points, value) },
        mark: { type: "line", point: { filled: true, size: 100 } },
        encoding: { x, y, color },
      },
    ],
  });
}

/** The ablation figures of a grid's finished points. */
export async function ablationFigures(
  points: AblationPoint[],
): Promise<Figure[]> {
  if (points.length === 0) return [];
  const figures: Figure[] = [];
  const ks = kPoints(points);
  const seedsOf = (ps: AblationPoint[]) =>
    `${ps.length} searches, ${new Set(ps.map((p) => p.arm)).size} arms`;
  figures.push({
    title: "Ablation: test error vs K",
    caption:
      `pcdarts with edge normalization at K = 1, 2, 4, 8, and without it at K = 1 and 4; darts1 is K = 1 without it. Small points: seeds; large: means (${
        seedsOf(ks)
      })`,
    svg: await againstK(ks, (p) => p.testError, "test error", ".0%"),
  });
  const agreement = new Map<string, number | null>();
  for (const series of new Set(ks.map((p) => `${seriesOf(p)}|${p.k}`))) {
    agreement.set(
      series,
      meanAgreement(ks.filter((p) => `${seriesOf(p)}|${p.k}` === series)),
    );
  }
  figures.push({
    title: "Ablation: search stability vs K",
    caption:
      `edges (node, input, operation picks) changed per epoch over the last ${LAST_EPOCHS} search epochs; lower is steadier`,
    svg: await againstK(ks, (p) => p.changedLast, "picks changed per epoch"),
  });
  figures.push({
    title: "Ablation: cross-seed agreement vs K",
    caption:
      "mean pairwise shared picks (of 16) of the seeds' final cells, per arm",
    svg: await renderChart({
      data: {
        values: [...agreement].flatMap(([key, value]) => {
          const [series, k] = key.split("|");
          return value === null ? [] : [{ series, k: Number(k), value }];
        }),
      },
      mark: { type: "line", point: { filled: true, size: 100 } },
      encoding: {
        x: K_AXIS,
        y: { field: "value", type: "quantitative", title: "shared picks" },
        color: SERIES_COLOR,
      },
    }),
  });
  const batch = points.filter((p) => p.changesBatch);
  if (batch.length > 0) {
    const values = batch.flatMap((p) => [
      { arm: p.arm, measure: "test error", value: p.testError },
      ...(p.changedLast === null ? [] : [{
        arm: p.arm,
        measure: `picks changed per epoch (last ${LAST_EPOCHS})`,
        value: p.changedLast,
      }]),
    ]);
    figures.push({
      title: "Ablation: batch 256 against batch 64",
      caption:
        "pcdarts over the same images and epochs; batch 64 at the reference's learning rate for it (docs/ablations.md). Points: seeds; ticks: means",
      svg: await renderChart({
        data: { values },
        facet: { column: { field: "measure", type: "nominal", title: null } },
        spec: {
          layer: [
            {
              mark: { type: "point", opacity: 0.6, size: 30 },
              encoding: {
                x: { field: "arm", type: "nominal", title: "arm" },
                y: { field: "value", type: "quantitative", title: null },
              },
            },
            {
              mark: { type: "tick", size: 30, thickness: 2 },
              encoding: {
                x: { field: "arm", type: "nominal" },
                y: { aggregate: "mean", field: "value", type: "quantitative" },
              },
            },
          ],
        },
        resolve: { scale: { y: "independent" } },
      }),
    });
  }
  return figures;
}

/**
 * The figures of an ablation grid folder (`manifest.csv`, `error.csv`), its
 * searches' traces read from its run folders, else from `otherGrids`' (rows
 * it shares with another grid keep their run folders there).
 */
export async function ablationGridFigures(
  dir: string,
  otherGrids: string[] = [],
): Promise<Figure[]> {
  const manifest = await readCsvRows(`${dir}/manifest.csv`);
  const rows = await readCsvRows(`${dir}/error.csv`);
  if (!manifest || !rows || !manifest.some((m) => m.arm)) return [];
  const points = await ablationPoints(manifest, rows, async (m) => {
    const row = { ...m, seed: Number(m.seed) } as unknown as GridRow;
    for (const grid of [dir, ...otherGrids]) {
      const epochs = await readCsvRows(
        `${runFolder(grid, row)}/search/epochs.csv`,
      );
      if (epochs) return epochs;
    }
    return null;
  });
  return await ablationFigures(points);
}
