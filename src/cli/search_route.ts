/**
 * Where a search runs when its command names no backend: the default backend
 * as configured where its step fits; else the fastest route that fits, of
 * the default backend with recomputed cells and every other backend worth
 * choosing here (set up, and for a GPU backend on a hardware GPU), each with
 * its cells kept or, where they do not fit, the fewest first cells
 * recomputed that make it fit (the first cells hold the largest
 * activations, and every cell's arithmetic is about the same, so fewer
 * recomputed cells are a faster step). A route's step time is measured on its
 * backend at two batches and extrapolated to the configured batch, the way
 * its memory is.
 */
import {
  measureSearchStep,
  searchStepSpec,
} from "../bench/step_measurement.ts";
import type { SearchConfig } from "../search/search_config.ts";
import { BACKEND_UNITS, DEFAULT_BACKEND } from "../backends/backend_table.ts";
import { type BackendInfo, initBackend } from "../backends/init.ts";
import { checkStepMemory, type MemoryCheck } from "./memory_guard.ts";
import {
  type CellRecomputation,
  describeRecomputation,
} from "../ops/recompute.ts";

/** A backend and whether cells are recomputed. */
export interface SearchRoute {
  /** The backend's name. */
  backend: string;
  /** Which cells recompute their intermediates in the backward passes. */
  recomputeCells: CellRecomputation;
}

/** A route with its verdicts. */
export interface MeasuredRoute extends SearchRoute {
  /** Its memory check. */
  memory: MemoryCheck;
  /** Estimated seconds of one step at the configured batch (NaN: not timed). */
  stepSeconds: number;
  /**
   * Estimated seconds of one warm-up step (the weight step alone) at the
   * configured batch; NaN where not timed (only the chosen route is).
   */
  warmupStepSeconds: number;
}

/** Estimated seconds of a whole search on `route`, `steps` weight steps an epoch. */
export function routeSeconds(
  route: MeasuredRoute,
  config: Pick<SearchConfig, "epochs" | "warmupEpochs">,
  steps: number,
): number {
  const warm = Number.isFinite(route.warmupStepSeconds)
    ? route.warmupStepSeconds
    : route.stepSeconds;
  return steps *
    (config.warmupEpochs * warm +
      (config.epochs - config.warmupEpochs) * route.stepSeconds);
}

/** The batches a route's step is timed at. */
const TIMING_BATCHES = [16, 32] as const;

/** A route in words: `wasm with the first 3 cells recomputed`. */
export function describeRoute(
  route: SearchRoute,
  layers: number,
): string {
  const which = describeRecomputation(route.recomputeCells, layers);
  return `${route.backend}${
    which === "no cell" ? "" : ` with ${which} recomputed`
  }`;
}

/**
 * The fewest first cells whose recomputation makes `config`'s step fit
 * `backend` (memory falls as the count grows), with the memory check of each
 * count tried; `chosen` is null where even every cell recomputed does not
 * fit. Every cell is `true`, as `--recompute-cells` writes it.
 */
export async function fewestRecomputedCells(
  config: SearchConfig,
  backend: string,
  check: (
    config: SearchConfig,
    backend: string,
  ) => Promise<MemoryCheck> = checkStepMemory,
): Promise<{ chosen: CellRecomputation | null; memory: MemoryCheck }> {
  const layers = config.layers;
  const settingOf = (n: number): CellRecomputation => n >= layers ? true : n;
  const checks = new Map<number, MemoryCheck>();
  const at = async (n: number) => {
    if (!checks.has(n)) {
      checks.set(
        n,
        await check({ ...config, recomputeCells: settingOf(n) }, backend),
      );
    }
    return checks.get(n)!;
  };
  if (!(await at(layers)).fits) {
    return { chosen: null, memory: checks.get(layers)! };
  }
  let [lo, hi] = [1, layers];
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if ((await at(mid)).fits) hi = mid;
    else lo = mid + 1;
  }
  return { chosen: settingOf(lo), memory: checks.get(lo)! };
}

/** One step's median seconds at `batchSize` on the active backend. */
async function stepSeconds(
  config: SearchConfig,
  batchSize: number,
  architectureStep: boolean,
): Promise<number> {
  const m = await measureSearchStep({
    ...searchStepSpec(config, batchSize),
    architectureStep,
    steps: 1,
    warmup: 1,
    profile: false,
  });
  return m.medianMs / 1000;
}

/**
 * A step's seconds at the configured batch on the active backend: timed at
 * two batches, extrapolated linearly (at most the larger batch: timed there).
 */
export async function estimateStepSeconds(
  config: SearchConfig,
  architectureStep = true,
): Promise<number> {
  const [b1, b2] = TIMING_BATCHES;
  if (config.batchSize <= b2) {
    return await stepSeconds(config, config.batchSize, architectureStep);
  }
  const t1 = await stepSeconds(config, b1, architectureStep);
  const t2 = await stepSeconds(config, b2, architectureStep);
  const perImage = Math.max(0, (t2 - t1) / (b2 - b1));
  return t2 + perImage * (config.batchSize - b2);
}

/** The backends a route may use here: the default, then the others worth choosing. */
async function routeBackends(): Promise<string[]> {
  const names = [DEFAULT_BACKEND];
  for (const unit of BACKEND_UNITS) {
    if (unit.name === DEFAULT_BACKEND || unit.autoRank === undefined) continue;
    if (!(await unit.availability()).available) continue;
    if (!(await unit.autoWorthy())) continue;
    names.push(unit.name);
  }
  return names;
}

/** The outcome of {@linkcode chooseSearchRoute}. */
export interface RouteChoice {
  /** The route taken (null: none fits). */
  chosen: MeasuredRoute | null;
  /** Every route measured, in the order tried. */
  routes: MeasuredRoute[];
  /** The backend left active (the chosen route's, where there is one). */
  backend: BackendInfo;
}

/**
 * A backend's route: the configuration's recomputation where it names one;
 * else its cells kept where they fit, else the fewest first cells recomputed
 * that fit (every cell where none does: that route's memory says it does not
 * fit). `asGiven` is the configuration's own check on this backend where it
 * was made already.
 */
async function fittingRoute(
  config: SearchConfig,
  backend: string,
  asGiven?: MemoryCheck,
): Promise<MeasuredRoute> {
  const route = (
    recomputeCells: CellRecomputation,
    memory: MemoryCheck,
  ): MeasuredRoute => ({
    backend,
    recomputeCells,
    memory,
    stepSeconds: NaN,
    warmupStepSeconds: NaN,
  });
  const given = asGiven ?? await checkStepMemory(config, backend);
  if (config.recomputeCells || given.fits) {
    return route(config.recomputeCells ?? false, given);
  }
  const fewest = await fewestRecomputedCells(config, backend);
  return route(fewest.chosen ?? true, fewest.memory);
}

/**
 * Picks where a search runs. The default backend with the configuration as
 * given is taken, untimed, where its step fits; otherwise each backend's
 * route that fits (cells kept, else the fewest first cells recomputed) is
 * timed and the fastest is taken. The chosen route's backend is left active.
 */
export async function chooseSearchRoute(
  config: SearchConfig,
): Promise<RouteChoice> {
  const routes: MeasuredRoute[] = [];
  let backend = await initBackend(DEFAULT_BACKEND);
  const asGiven = await checkStepMemory(config, DEFAULT_BACKEND);
  const first: MeasuredRoute = {
    backend: DEFAULT_BACKEND,
    recomputeCells: config.recomputeCells ?? false,
    memory: asGiven,
    stepSeconds: NaN,
    warmupStepSeconds: NaN,
  };
  routes.push(first);
  if (asGiven.fits) return { chosen: first, routes, backend };
  for (const name of await routeBackends()) {
    if (backend.name !== name) backend = await initBackend(name);
    const route = await fittingRoute(
      config,
      name,
      name === DEFAULT_BACKEND ? asGiven : undefined,
    );
    routes.push(route);
    if (route.memory.fits) {
      route.stepSeconds = await estimateStepSeconds({
        ...config,
        recomputeCells: route.recomputeCells,
      });
    }
  }
  const timed = routes.filter((r) => Number.isFinite(r.stepSeconds));
  const chosen = timed.length === 0
    ? null
    : timed.reduce((a, b) => (b.stepSeconds < a.stepSeconds ? b : a));
  if (chosen !== null && backend.name !== chosen.backend) {
    backend = await initBackend(chosen.backend);
  }
  if (chosen !== null && config.warmupEpochs > 0) {
    chosen.warmupStepSeconds = await estimateStepSeconds(
      { ...config, recomputeCells: chosen.recomputeCells },
      false,
    );
  }
  return { chosen, routes, backend };
}
