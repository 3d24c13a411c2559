/**
 * The context columns every benchmark row carries, so that rows from different
 * machines, backends and commits can be told apart and compared.
 */
import {
  currentExecutionOptions,
  executionLabel,
} from "../ops/execution_options.ts";
import type { BackendInfo } from "../backends/init.ts";
import { runEnvironment } from "../run/environment.ts";

import { COLUMNS, CONTEXT_COLUMNS } from "./csv_schema.ts";

export { CONTEXT_COLUMNS };

/** Columns that describe where a row was measured, not what was measured. */
export const VOLATILE_CONTEXT: Set<string> = new Set(
  Object.entries(COLUMNS).filter(([, c]) => c.role === "context").map((
    [name],
  ) => name),
);

/** A row's context part. */
export type ContextRow = Record<
  typeof CONTEXT_COLUMNS[number],
  string | number | boolean
>;

/** Builds the machine part of the context (the rest is per row). */
export async function machineContext(runId: string, backend: BackendInfo) {
  const env = await runEnvironment();
  return {
    run_id: runId,
    time_utc: new Date().toISOString(),
    git_commit: env.gitCommit,
    git_dirty: env.gitDirty,
    deno: env.deno,
    tfjs: env.tfjs,
    backend: backend.name,
    device: backend.device,
    cpu: env.cpu,
    cores: env.cores,
    memory_gib: env.memoryGiB,
    execution: executionLabel(currentExecutionOptions()),
  };
}
