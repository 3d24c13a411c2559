/**
 * Where a grid keeps its files: `manifest.csv`; `runs/<run>/search` and
 * `…/train` (the run folders); `rows/<index>.csv` (a finished row);
 * `rows/<index>.failed` (why its last attempt failed, until one succeeds);
 * after the merge, `error.csv` and `error_summary.csv`.
 */
import type { GridRow } from "./manifest.ts";

/** The grid folder of a manifest. */
export function gridDir(manifestPath: string): string {
  const slash = manifestPath.lastIndexOf("/");
  return slash < 0 ? "." : manifestPath.slice(0, slash);
}

/** Where a row's result goes. */
export function rowFile(dir: string, index: number): string {
  return `${dir}/rows/${index}.csv`;
}

/** Where a row's last failure is recorded until an attempt succeeds. */
export function failureFile(dir: string, index: number): string {
  return `${dir}/rows/${index}.failed`;
}

/**
 * The run folder of a row, its search and training under it:
 * `runs/<method>[-<arm>][-<budget>]-s<seed>`.
 */
export function runFolder(dir: string, row: GridRow): string {
  const arm = row.arm ? `-${row.arm}` : "";
  const budget = row.budget ? `-${row.budget}` : "";
  return `${dir}/runs/${row.method}${arm}${budget}-s${row.seed}`;
}
