/**
 * The benchmark suites' registry: a suite is one file in `src/suites/` that
 * calls {@linkcode registerBenchSuite}; `src/suites/all.ts` imports each file,
 * one line a suite. `deno task bench` asks the registry (through
 * `src/suites/catalog.ts`) which suites exist, which `--suite all` runs, and
 * what each writes.
 */
import type { BackendInfo } from "../backends/init.ts";
import type { BenchSize, SuiteRow } from "./suites.ts";

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
  /** The step suite's recomputation override (undefined: the config's own). */
  recomputeCells?: boolean;
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
  /** The declared schema its columns follow (csv_schema.ts). */
  schema: string;
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
  registry.set(suite.name, suite);
}

/** Every registered suite, in registration order. */
export function registeredSuites(): BenchSuite[] {
  return [...registry.values()];
}
