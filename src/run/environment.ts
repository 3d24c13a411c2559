/** The context every result carries: versions, git commit, host. */
import * as tf from "../tf.ts";
import { describeHost } from "../backends/init.ts";

/** Where and with what a result was produced. */
export interface RunEnvironment {
  /** Deno version. */
  deno: string;
  /** TensorFlow.js core version. */
  tfjs: string;
  /** Git commit of this repository, or "unknown". */
  gitCommit: string;
  /** Whether the working tree had uncommitted changes. */
  gitDirty: boolean;
  /** CPU model. */
  cpu: string;
  /** CPU cores. */
  cores: number;
  /** Memory in GiB. */
  memoryGiB: number;
}

async function git(args: string[]): Promise<string | null> {
  try {
    const root = new URL("../..", import.meta.url).pathname;
    const out = await new Deno.Command("git", {
      args: ["-C", root, ...args],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : null;
  } catch {
    return null;
  }
}

/** Collects the environment (git needs --allow-run; without it "unknown"). */
export async function runEnvironment(): Promise<RunEnvironment> {
  const host = describeHost();
  const commit = await git(["rev-parse", "HEAD"]);
  const status = commit
    ? await git(["status", "--porcelain", "--untracked-files=no"])
    : null;
  return {
    deno: Deno.version.deno,
    tfjs: tf.version_core,
    // Without the repository (the GPU benchmark's machine gets the files
    // alone), the commit that prepared them comes from the environment.
    gitCommit: commit ?? Deno.env.get("PCDARTS_GIT_COMMIT") ?? "unknown",
    gitDirty: commit
      ? Boolean(status)
      : Deno.env.get("PCDARTS_GIT_DIRTY") === "true",
    cpu: host.cpu,
    cores: host.cores,
    memoryGiB: host.memoryGiB,
  };
}
