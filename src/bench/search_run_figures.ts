/**
 * The figures of one search's run folder (the paper-size search's, say):
 * its curves over the epochs (training accuracy and loss, the validation
 * loss its architecture steps saw, the final validation accuracy), the cell's
 * picks that each epoch changed, how each normal-cell edge's operation
 * weights settled, and the found cell drawn beside `PC_DARTS_cifar` with the
 * picks they share.
 */
import { parse } from "csv-parse/sync";
import { type Figure, renderChart } from "./chart.ts";
import { type Genotype, parseGenotype } from "../space/genotype.ts";
import { drawGenotype } from "../space/genotype_drawing.ts";
import { PC_DARTS_cifar } from "../train/genotypes.ts";
import {
  parameterFreeNormalEdges,
  sharedPicks,
} from "../search/architecture_trace.ts";

type Row = Record<string, string>;

async function readRows(path: string): Promise<Row[] | null> {
  try {
    return parse(await Deno.readTextFile(path), {
      columns: true,
      skip_empty_lines: true,
    }) as Row[];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}

/** What a run folder says of itself, for captions. */
async function describeRun(dir: string): Promise<string> {
  try {
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/config.json`));
    const c = saved.config;
    return `${c.method}, C=${c.channels}, ${c.layers} layers, K=${c.partialChannels}, batch ${c.batchSize}, seed ${c.seed}; ${saved.backend?.name} on ${saved.backend?.device}`;
  } catch {
    return dir;
  }
}

/** The curves of a search: accuracy, loss and picks changed per epoch. */
async function curveFigures(
  rows: Row[],
  about: string,
  warmup: number,
): Promise<Figure[]> {
  const long = rows.flatMap((r) => {
    const epoch = Number(r.epoch) + 1;
    const out = [
      { epoch, measure: "training (augmented)", accuracy: Number(r.train_acc) },
    ];
    if (r.valid_acc !== "") {
      out.push({
        epoch,
        measure: "validation (evaluation mode)",
        accuracy: Number(r.valid_acc),
      });
    }
    return out;
  });
  const losses = rows.flatMap((r) => {
    const epoch = Number(r.epoch) + 1;
    const out = [{ epoch, measure: "training", loss: Number(r.train_loss) }];
    if (r.arch_loss !== "") {
      out.push({
        epoch,
        measure: "validation, seen by the architecture steps",
        loss: Number(r.arch_loss),
      });
    }
    return out;
  });
  const changed = rows.filter((r) => r.picks_changed !== "" && r.picks_changed)
    .map((r) => ({
      epoch: Number(r.epoch) + 1,
      picks_changed: Number(r.picks_changed),
    }));
  const x = {
    field: "epoch",
    type: "quantitative",
    title: "epoch",
    axis: { format: "d", tickMinStep: 1 },
  };
  const warmupRule = warmup > 0
    ? [{
      data: { values: [{ epoch: warmup + 0.5 }] },
      mark: { type: "rule", strokeDash: [4, 4], color: "grey" },
      encoding: { x: { field: "epoch", type: "quantitative" } },
    }]
    : [];
  const figures: Figure[] = [
    {
      title: "Search: accuracy per epoch",
      caption: `${about}; the dashed line ends the ${warmup} warm-up epochs`,
      svg: await renderChart({
        layer: [
          {
            data: { values: long },
            mark: { type: "line", point: true },
            encoding: {
              x,
              y: {
                field: "accuracy",
                type: "quantitative",
                title: "top-1 accuracy",
              },
              color: {
                field: "measure",
                type: "nominal",
                legend: { labelLimit: 0 },
              },
            },
          },
          ...warmupRule,
        ],
      }),
    },
    {
      title: "Search: loss per epoch",
      caption:
        `${about}; the validation loss is the mean the architecture steps saw (training mode), so it starts after the warm-up`,
      svg: await renderChart({
        layer: [
          {
            data: { values: losses },
            mark: { type: "line", point: true },
            encoding: {
              x,
              y: {
                field: "loss",
                type: "quantitative",
                title: "cross-entropy",
              },
              color: {
                field: "measure",
                type: "nominal",
                legend: { labelLimit: 0 },
              },
            },
          },
          ...warmupRule,
        ],
      }),
    },
  ];
  if (changed.length > 0) {
    figures.push({
      title: "Search: picks of the cell changed per epoch",
      caption:
        `${about}; (node, input, operation) picks of the normal and reduction cells, of 16, that differ from the previous epoch's cell`,
      svg: await renderChart({
        layer: [
          {
            data: { values: changed },
            mark: { type: "bar" },
            encoding: {
              x,
              y: {
                field: "picks_changed",
                type: "quantitative",
                title: "picks changed",
                scale: { domain: [0, 16] },
              },
            },
          },
          ...warmupRule,
        ],
      }),
    });
  }
  return figures;
}

/**
 * How the normal cell settles: for each edge, each operation's weight in the
 * genotype's ranking (its softmax share times the edge's weight) per epoch.
 */
async function settlingFigure(
  weights: Row[],
  about: string,
): Promise<Figure> {
  const values = weights.filter((r) => r.cell === "normal" && r.op !== "none")
    .map((r) => ({
      epoch: Number(r.epoch) + 1,
      edge: `node ${Number(r.node) + 2} ← ${Number(r.input)}`,
      op: r.op,
      weight: Number(r.weight) *
        (r.edge_weight === "" ? 1 : Number(r.edge_weight)),
    }));
  return {
    title: "Search: how the normal cell settles",
    caption:
      `${about}; per edge (node ← input state), each operation's softmax weight times the edge's weight, the quantity the cell is read from ('none' left out)`,
    svg: await renderChart({
      data: { values },
      facet: {
        field: "edge",
        type: "nominal",
        title: null,
        sort: { field: "edge" },
      },
      columns: 5,
      spec: {
        width: 150,
        height: 90,
        mark: { type: "line" },
        encoding: {
          x: {
            field: "epoch",
            type: "quantitative",
            title: "epoch",
            axis: { format: "d", tickMinStep: 1 },
          },
          y: { field: "weight", type: "quantitative", title: "weight" },
          color: {
            field: "op",
            type: "nominal",
            title: "operation",
            legend: { labelLimit: 0 },
          },
        },
      },
    }),
  };
}

/** The found cell drawn beside `PC_DARTS_cifar`'s, with what they share. */
async function cellFigures(found: Genotype, name: string): Promise<Figure[]> {
  const drawnFound = await drawGenotype(found);
  const drawnPaper = await drawGenotype(PC_DARTS_cifar);
  const shared = sharedPicks(found, PC_DARTS_cifar);
  const caption =
    `${shared} of 16 (node, input, operation) picks shared with PC_DARTS_cifar; parameter-free normal edges: ${
      parameterFreeNormalEdges(found)
    } of 8 (PC_DARTS_cifar: ${parameterFreeNormalEdges(PC_DARTS_cifar)})`;
  return [
    { title: `${name}: normal cell`, caption, svg: drawnFound.normal },
    {
      title: "PC_DARTS_cifar (the paper's cell): normal cell",
      caption: "",
      svg: drawnPaper.normal,
    },
    { title: `${name}: reduction cell`, caption: "", svg: drawnFound.reduce },
    {
      title: "PC_DARTS_cifar (the paper's cell): reduction cell",
      caption: "",
      svg: drawnPaper.reduce,
    },
  ];
}

/**
 * The figures of the search run folder `dir` (null where it has no
 * `epochs.csv`); `name` heads its cell's figures.
 */
export async function searchRunFigures(
  dir: string,
  name: string,
): Promise<Figure[] | null> {
  const rows = await readRows(`${dir}/epochs.csv`);
  if (rows === null || rows.length === 0) return null;
  const about = `${await describeRun(dir)}; ${rows.length} epochs`;
  let warmup = 0;
  try {
    warmup = JSON.parse(await Deno.readTextFile(`${dir}/config.json`)).config
      .warmupEpochs;
  } catch {
    // a run folder without its configuration: no warm-up line
  }
  const figures = await curveFigures(rows, about, warmup);
  const weights = await readRows(`${dir}/architecture_weights.csv`);
  if (weights !== null && weights.length > 0) {
    figures.push(await settlingFigure(weights, about));
  }
  const last = rows.at(-1)!;
  figures.push(
    ...await cellFigures(
      parseGenotype(last.genotype, `${dir}/epochs.csv`),
      `${name} after epoch ${Number(last.epoch) + 1}`,
    ),
  );
  return figures;
}
