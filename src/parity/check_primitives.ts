/**
 * Parity of single modules (primitives, ReLUConvBN, FactorizedReduce, MixedOp)
 * against fixture cases named `<case>.x`, `.y`, `.r`, `.dx`, `.param.*`,
 * `.grad.*` (and `.alpha`, `.dalpha` for a MixedOp). The loss is `sum(y * r)`.
 */
import * as tf from "../tf.ts";
import type { NamedArray, SafetensorsFile } from "../io/safetensors.ts";
import { ParameterStore, toTorchLayout } from "../space/parameters.ts";
import type { ForwardContext } from "../space/parameters.ts";
import { importTorchWeights } from "../space/weight_import.ts";
import { relativeError } from "./relative_error.ts";
import { nchwToNhwc, nhwcToNchw, readAndDispose } from "./nchw_layout.ts";
import type { ParityRow } from "./parity_row.ts";
import {
  fixtureTolerances,
  GRADIENT_SPREAD_KEY,
  perTensorBars,
} from "./summary.ts";

/** Builds the module of one case in `store` and returns its forward function. */
export type ModuleFactory = (
  store: ParameterStore,
  inChannels: number,
  extraInputs: tf.Variable[],
) => (x: tf.Tensor4D, context: ForwardContext) => tf.Tensor4D;

/** A non-activation input of a case (a MixedOp's alphas), with its gradient. */
export interface ExtraInput {
  /** Label in the report. */
  name: string;
  /** Fixture key of the value, after the case prefix. */
  key: string;
  /** Fixture key of its reference gradient. */
  gradKey: string;
}

/** Runs one module case: forward, backward of `sum(y * r)`, compare. */
export async function checkModuleCase(
  file: SafetensorsFile,
  casePrefix: string,
  factory: ModuleFactory,
  extraInputs: ExtraInput[] = [],
): Promise<ParityRow[]> {
  const get = (key: string): NamedArray => {
    const array = file.tensors.get(`${casePrefix}${key}`);
    if (!array) throw new Error(`fixture lacks ${casePrefix}${key}`);
    return array;
  };
  const label = casePrefix.replace(/\.$/, "");
  const store = new ParameterStore(0);
  const xArray = get("x");
  const x = tf.tidy(() => tf.variable(nchwToNhwc(xArray), true));
  const extras = extraInputs.map(({ key }) => {
    const a = get(key);
    return tf.tidy(() => tf.variable(tf.tensor(a.data, a.shape), true));
  });
  const r = nchwToNhwc(get("r"));
  try {
    const forward = factory(store, xArray.shape[1], extras);
    importTorchWeights(store, file.tensors, `${casePrefix}param.`);
    const params = store.trainable().filter((p) =>
      file.tensors.has(`${casePrefix}grad.${p.name}`)
    );
    let output: tf.Tensor | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const y = forward(x as tf.Tensor4D, { training: true });
      output = tf.keep(nhwcToNchw(y));
      return tf.sum(tf.mul(y, r)) as tf.Scalar;
    }, [x, ...extras, ...params.map((p) => p.variable)]);
    value.dispose();
    const ours = [
      output!,
      nhwcToNchw(grads[x.name]),
      ...extras.map((e) => tf.clone(grads[e.name])),
      ...params.map((p) => toTorchLayout(p.layout, grads[p.variable.name])),
    ];
    tf.dispose(Object.values(grads));
    const values = await readAndDispose(ours);
    // Each gradient against its own bar where the draw records the
    // reference's float32 scatter per tensor; else the file's scalar bar.
    const bars = perTensorBars(
      file.metadata,
      GRADIENT_SPREAD_KEY,
      fixtureTolerances(file.metadata).gradient,
    );
    const gradient = (check: string, key: string) => ({
      check,
      data: get(key).data,
      kind: "gradient",
      limit: bars?.(`${casePrefix}${key}`),
    });
    const expected = [
      {
        check: `${label} output`,
        data: get("y").data,
        kind: "output",
        limit: undefined,
      },
      gradient(`${label} d/dx`, "dx"),
      ...extraInputs.map((e) => gradient(`${label} d/d${e.name}`, e.gradKey)),
      ...params.map((p) => gradient(`${label} d/d${p.name}`, `grad.${p.name}`)),
    ];
    return expected.map((e, i) => ({
      check: e.check,
      kind: e.kind as ParityRow["kind"],
      relativeError: relativeError(values[i], e.data),
      ...(e.limit === undefined ? {} : { limit: e.limit }),
    }));
  } finally {
    tf.dispose([x, r, ...extras]);
    store.dispose();
  }
}
