/**
 * Recognises what a parity fixture holds and runs the matching check:
 * primitives (metadata `cases`, plus `relu_conv_bn.*` / `factorized_reduce.*`),
 * a MixedOp (`mixed.s<stride>.*`), or a search network (`input`, `arch.*`).
 * Every size is read from the file itself.
 */
import * as tf from "../tf.ts";
import type { SafetensorsFile } from "../io/safetensors.ts";
import { MixedOp } from "../space/mixed_op.ts";
import {
  createPrimitive,
  FactorizedReduce,
  type PrimitiveName,
  ReLUConvBN,
} from "../space/primitives.ts";
import { checkModuleCase } from "./check_primitives.ts";
import {
  checkSearchNetwork,
  type ParityOptions,
  sameGenotype,
} from "./check_network.ts";
import { checkEvalNetwork } from "./check_eval_network.ts";
import type { ParityRow } from "./parity_row.ts";
import { formatGenotype } from "../space/genotype.ts";
import { takeBackendErrors } from "../backends/backend_table.ts";
import {
  type FixtureTolerances,
  fixtureTolerances,
  GRADIENT_SPREAD_KEY,
  worstByRatio,
} from "./summary.ts";
import {
  checkSearchStepFixture,
  isSearchStepFixture,
} from "./check_search_step.ts";

/** `worst against its bar: NAME error E, bar B (ratio R)`. */
export function worstLine(worst: { row: ParityRow; ratio: number }): string {
  return `worst against its bar: ${worst.row.check} error ${
    worst.row.relativeError.toExponential(2)
  }, bar ${(worst.row.limit ?? NaN).toExponential(1)} (ratio ${
    worst.ratio.toFixed(3)
  })`;
}

/** What a fixture file holds. */
export type FixtureKind =
  | "primitives"
  | "mixed_op"
  | "search_network"
  | "eval_network"
  | "search_step";

/** The result of checking one file. */
export interface FileParity {
  /** The recognised kind. */
  kind: FixtureKind;
  /** Compared quantities. */
  rows: ParityRow[];
  /** Problems that are not numbers (a genotype mismatch, an unsupported kind). */
  failures: string[];
  /** Notes for the report (the derived genotype, a skipped kind). */
  notes: string[];
  /** The bars the file's rows are held to (each row carries its own). */
  tolerances: FixtureTolerances;
}

/** Recognises a fixture's kind from its tensor names and metadata. */
export function detectFixtureKind(file: SafetensorsFile): FixtureKind {
  const names = [...file.tensors.keys()];
  if (isSearchStepFixture(file)) return "search_step";
  if (file.tensors.has("logits_aux")) return "eval_network";
  if (file.tensors.has("input") && names.some((n) => n.startsWith("arch."))) {
    return "search_network";
  }
  if (names.some((n) => /^mixed\.s\d+\.x$/.test(n))) return "mixed_op";
  if (file.metadata.cases || names.some((n) => /\.s\d+\.x$/.test(n))) {
    return "primitives";
  }
  throw new Error(
    "unrecognised fixture: expected primitives (<primitive>.s<stride>.x …), a MixedOp (mixed.s<stride>.x …), a network (input, arch.*, param.*) or search steps (init.param.*, step0.*)",
  );
}

function primitiveCases(file: SafetensorsFile) {
  const cases: { prefix: string; primitive: PrimitiveName; stride: number }[] =
    [];
  if (file.metadata.cases) {
    const parsed = JSON.parse(file.metadata.cases) as Record<
      string,
      { primitive: PrimitiveName; stride: number }
    >;
    for (const [prefix, c] of Object.entries(parsed)) {
      cases.push({ prefix, primitive: c.primitive, stride: c.stride });
    }
  } else {
    for (const name of file.tensors.keys()) {
      const m = name.match(/^([a-z_0-9x]+)\.s(\d+)\.x$/);
      if (m) {
        cases.push({
          prefix: `${m[1]}.s${m[2]}.`,
          primitive: m[1] as PrimitiveName,
          stride: Number(m[2]),
        });
      }
    }
  }
  return cases;
}

async function checkPrimitives(file: SafetensorsFile): Promise<ParityRow[]> {
  const rows: ParityRow[] = [];
  for (const { prefix, primitive, stride } of primitiveCases(file)) {
    rows.push(
      ...await checkModuleCase(file, prefix, (store, channels) => {
        const op = createPrimitive(primitive, store, "", channels, stride, {
          affine: false,
          poolBatchNorm: true,
        });
        return (x, context) => op.forward(x, context);
      }),
    );
  }
  const outChannels = (prefix: string) =>
    file.tensors.get(`${prefix}y`)!.shape[1];
  if (file.tensors.has("relu_conv_bn.x")) {
    const kernel = file.tensors.get("relu_conv_bn.param.op.1.weight")!.shape[2];
    rows.push(
      ...await checkModuleCase(file, "relu_conv_bn.", (store, channels) => {
        const op = new ReLUConvBN(
          store,
          "",
          channels,
          outChannels("relu_conv_bn."),
          kernel,
          1,
          (kernel - 1) / 2,
          false,
        );
        return (x, context) => op.forward(x, context);
      }),
    );
  }
  if (file.tensors.has("factorized_reduce.x")) {
    rows.push(
      ...await checkModuleCase(
        file,
        "factorized_reduce.",
        (store, channels) => {
          const op = new FactorizedReduce(
            store,
            "",
            channels,
            outChannels("factorized_reduce."),
            false,
          );
          return (x, context) => op.forward(x, context);
        },
      ),
    );
  }
  return rows;
}

async function checkMixedOps(file: SafetensorsFile): Promise<ParityRow[]> {
  const rows: ParityRow[] = [];
  for (const name of file.tensors.keys()) {
    const m = name.match(/^mixed\.s(\d+)\.x$/);
    if (!m) continue;
    const prefix = `mixed.s${m[1]}.`;
    const stride = Number(m[1]);
    const probe = file.tensors.get(`${prefix}param._ops.4.op.1.weight`);
    if (!probe) throw new Error(`${prefix}: no sep_conv_3x3 weight to infer K`);
    rows.push(
      ...await checkModuleCase(file, prefix, (store, channels, [alpha]) => {
        const op = new MixedOp(store, "", channels, stride, {
          partialChannels: channels / probe.shape[0],
          channelSampling: "first",
        });
        return (x, context) =>
          op.forward(x, tf.softmax(alpha) as tf.Tensor1D, context);
      }, [{ name: "alpha", key: "alpha", gradKey: "dalpha" }]),
    );
  }
  return rows;
}

/** Runs the check that fits the file on the active backend. */
export async function checkFixture(
  file: SafetensorsFile,
  options: ParityOptions = {},
): Promise<FileParity> {
  const kind = detectFixtureKind(file);
  const tolerances = fixtureTolerances(file.metadata);
  const failures: string[] = [];
  const notes: string[] = [];
  let rows: ParityRow[] = [];
  switch (kind) {
    case "primitives":
      rows = await checkPrimitives(file);
      break;
    case "mixed_op":
      rows = await checkMixedOps(file);
      break;
    case "search_network": {
      const result = await checkSearchNetwork(file, options);
      rows = result.rows;
      notes.push(`genotype: ${formatGenotype(result.genotype)}`);
      if (
        result.expectedGenotype &&
        !sameGenotype(result.genotype, result.expectedGenotype)
      ) {
        failures.push(
          `derived genotype differs from the reference: ${
            formatGenotype(result.expectedGenotype)
          }`,
        );
      }
      break;
    }
    case "eval_network":
      rows = await checkEvalNetwork(file);
      break;
    case "search_step": {
      const result = await checkSearchStepFixture(file);
      rows = result.rows;
      failures.push(...result.settingMismatches);
      notes.push(
        `${result.results.length} stored results, each held to max(1e-4, 10 x the reference's float32 scatter on it)`,
      );
      if (result.worst) notes.push(worstLine(result.worst));
      break;
    }
  }
  // A GPU error leaves garbage behind; no result computed through one counts.
  for (const error of takeBackendErrors()) {
    failures.push(`the GPU reported an error: ${error}`);
  }
  for (const row of rows) {
    row.limit ??= row.kind === "output"
      ? tolerances.output
      : tolerances.gradient;
  }
  if (kind !== "search_step") {
    const worst = worstByRatio(rows);
    if (worst) notes.push(worstLine(worst));
  }
  if (tolerances.reference) {
    const perTensor = file.metadata[GRADIENT_SPREAD_KEY] !== undefined;
    notes.push(
      `float64 truth; the reference's own float32 lands ${
        tolerances.reference.output?.toExponential(1) ?? "(not recorded)"
      } (outputs), ${
        tolerances.reference.gradient.toExponential(1)
      } (gradients) from it; bars: outputs ${
        tolerances.output.toExponential(1)
      }, gradients ${
        perTensor
          ? "each tensor's max(1e-4, 10 x its own float32 scatter)"
          : tolerances.gradient.toExponential(1)
      }`,
    );
  }
  return { kind, rows, failures, notes, tolerances };
}
