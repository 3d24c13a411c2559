/**
 * The benchmark suites' registry: a suite is one file in `src/suites/` that
 * calls {@linkcode registerBenchSuite} with everything it is: its run, the
 * schemas of the CSVs it writes and the report's figures of them;
 * `src/suites/all.ts` imports each file, one line a suite. `deno task bench` asks the registry (through
 * `src/suites/catalog.ts`) which suites exist, which `--suite all` runs, and
 * what each writes.
 */
import type { BackendInfo } from "../backends/init.ts";
import type { CellRecomputation } from "../ops/recompute.ts";
import type { BenchSize, SuiteRow } from "./suite_measurements.ts";
import { type CsvSchema, registerCsvSchema } from "./csv_schema.ts";
import type { CsvRow, Figure } from "./chart.ts";

/** What a suite run is given: the command's settings. */
export interface SuiteSettings {
  /** The benchmark size. */
  size: BenchSize;
  /** The backend in use. */
  backend: BackendInfo;
  /** The memory suite's budget, in bytes. */
  memoryBudgetBytes: number;
  /** The error suite's seeds. */
  seeds: number[];
  /** The step suite's timed steps. */
  steps: number;
  /** The step suites' configuration name (undefined: each suite's default). */
  stepConfig?: string;
  /**
   * The step suites' recomputation override (undefined: the config's own; a
   * number: the first N cells, the search step only).
   */
  recomputeCells?: CellRecomputation;
  /**
   * The step suite: also time the reference PyTorch twin's step on this many
   * CPU threads, in the same run (0: not).
   */
  referenceThreads: number;
  /** The data folder, for suites that read a data set. */
  dataDir: string;
  /** The folder the CSVs go to (suites may keep run folders under it). */
  outDir: string;
  /** Progress lines. */
  log: (line: string) => void;
}

/** One CSV a suite writes. */
export interface SuiteFile {
  /** The file's name without `.csv`. */
  name: string;
  /** The schema its columns follow: one of the suite's `schemas`. */
  schema: CsvSchema;
  /** Its rows: the suite's own columns. */
  rows: SuiteRow[];
  /** Context columns every row gets (the data set and network sizes). */
  context: Record<string, unknown>;
}

/** A benchmark suite. */
export interface BenchSuite {
  /** Its name, which `--suite` takes. */
  readonly name: string;
  /** Whether `--suite all` runs it. */
  readonly inAll: boolean;
  /**
   * The schemas of the CSVs it writes (with `CONTEXT_COLUMNS` first):
   * `compare`, `docs/csv_schemas.md` and the writer's column check use them.
   */
  readonly schemas: readonly CsvSchema[];
  /**
   * The report's figures of a bench folder's CSVs (`read` gives a file's rows
   * by its name without `.csv`, or null where the suite did not run).
   */
  figures?(read: (name: string) => Promise<CsvRow[] | null>): Promise<Figure[]>;
  /**
   * Checks what the suite needs before any suite starts or a folder is made
   * (a data set present), so that a long run does not fail at its end.
   */
  check?(settings: SuiteSettings): Promise<void>;
  /** Runs the suite: its files, and lines to print after they are written. */
  run(
    settings: SuiteSettings,
  ): Promise<{ files: SuiteFile[]; lines?: string[] }>;
}

const registry = new Map<string, BenchSuite>();

/** Adds a suite; a second suite of the same name is an error. */
export function registerBenchSuite(suite: BenchSuite): void {
  if (registry.has(suite.name)) {
    throw new Error(`bench suite "${suite.name}" is registered twice`);
  }
  for (const schema of suite.schemas) registerCsvSchema(schema);
  registry.set(suite.name, suite);
}

/** Every registered suite, in registration order. */
export function registeredSuites(): BenchSuite[] {
  return [...registry.values()];
}
