/**
 * PyTorch-style symmetric padding on the tensorflow backend. tfjs-node's
 * convolution and max-pool kernels accept only 'valid', 'same' (and, for the
 * forward convolutions, tfjs' 'explicit' arrays), and stop on a numeric pad,
 * which every padded op of this project uses. TensorFlow's own ops take
 * `padding = "EXPLICIT"` with `explicit_paddings`, so each kernel below runs
 * the one TensorFlow op with the numeric pad written out, and hands every other
 * padding to tfjs-node's kernel unchanged. Average pooling needs nothing: it
 * pools a zero-padded input with 'valid' (see pooling.ts).
 */
import * as tf from "../../tf.ts";

/** The part of tfjs-node's binding these kernels use. */
interface Binding {
  TF_ATTR_INT: number;
  TF_ATTR_STRING: number;
  TF_ATTR_BOOL: number;
  TF_ATTR_TYPE: number;
  TF_FLOAT: number;
}

/** One TensorFlow op attribute as tfjs-node's binding takes it. */
interface OpAttr {
  name: string;
  type: number;
  value: unknown;
}

/** The part of tfjs-node's backend these kernels use. */
interface NodeBackend {
  binding: Binding;
  executeSingleOutput(
    name: string,
    attrs: OpAttr[],
    inputs: tf.TensorInfo[],
  ): tf.TensorInfo;
}

type Attrs = Record<string, unknown>;

/** The kernels replaced; each runs the TensorFlow op of its own name. */
const REPLACED = [
  "Conv2D",
  "Conv2DBackpropInput",
  "Conv2DBackpropFilter",
  "DepthwiseConv2dNative",
  "DepthwiseConv2dNativeBackpropInput",
  "DepthwiseConv2dNativeBackpropFilter",
  "MaxPool",
  "MaxPoolGrad",
] as const;

type Replaced = typeof REPLACED[number];

const pair = (v: unknown): [number, number] =>
  typeof v === "number" ? [v, v] : v as [number, number];

/** `explicit_paddings` for NHWC: nothing on batch and channels. */
const explicit = (pad: number) => [0, 0, pad, pad, pad, pad, 0, 0];

/** Runs TensorFlow's op `name` with explicit symmetric padding `pad`. */
function runExplicit(
  name: Replaced,
  inputs: Record<string, tf.TensorInfo>,
  attrs: Attrs,
  backend: NodeBackend,
): tf.TensorInfo {
  const b = backend.binding;
  const pad = attrs.pad as number;
  const [sh, sw] = pair(attrs.strides);
  const [dh, dw] = pair(attrs.dilations ?? 1);
  const common: OpAttr[] = [
    { name: "T", type: b.TF_ATTR_TYPE, value: b.TF_FLOAT },
    { name: "strides", type: b.TF_ATTR_INT, value: [1, sh, sw, 1] },
    { name: "padding", type: b.TF_ATTR_STRING, value: "EXPLICIT" },
    { name: "explicit_paddings", type: b.TF_ATTR_INT, value: explicit(pad) },
    { name: "data_format", type: b.TF_ATTR_STRING, value: "NHWC" },
  ];
  const dilations: OpAttr = {
    name: "dilations",
    type: b.TF_ATTR_INT,
    value: [1, dh, dw, 1],
  };
  const cudnn: OpAttr = {
    name: "use_cudnn_on_gpu",
    type: b.TF_ATTR_BOOL,
    value: true,
  };
  const run = (extra: OpAttr[], args: tf.TensorInfo[]) =>
    backend.executeSingleOutput(name, [...common, ...extra], args);
  const withShape = (
    shape: number[],
    build: (s: tf.TensorInfo) => tf.TensorInfo,
  ) => {
    const s = tf.tensor1d(shape, "int32");
    try {
      return build(s);
    } finally {
      tf.dispose(s as tf.Tensor);
    }
  };
  switch (name) {
    case "Conv2D":
      return run([dilations, cudnn], [inputs.x, inputs.filter]);
    case "DepthwiseConv2dNative":
      return run([dilations], [inputs.x, inputs.filter]);
    case "Conv2DBackpropInput":
      return withShape(
        attrs.inputShape as number[],
        (s) => run([dilations, cudnn], [s, inputs.filter, inputs.dy]),
      );
    case "DepthwiseConv2dNativeBackpropInput":
      return withShape(
        attrs.inputShape as number[],
        (s) => run([dilations], [s, inputs.filter, inputs.dy]),
      );
    case "Conv2DBackpropFilter":
      return withShape(
        attrs.filterShape as number[],
        (s) => run([dilations, cudnn], [inputs.x, s, inputs.dy]),
      );
    case "DepthwiseConv2dNativeBackpropFilter":
      return withShape(
        attrs.filterShape as number[],
        (s) => run([dilations], [inputs.x, s, inputs.dy]),
      );
    case "MaxPool":
    case "MaxPoolGrad": {
      const [kh, kw] = pair(attrs.filterSize);
      const ksize: OpAttr = {
        name: "ksize",
        type: b.TF_ATTR_INT,
        value: [1, kh, kw, 1],
      };
      return name === "MaxPool"
        ? run([ksize], [inputs.x])
        : run([ksize], [inputs.input, inputs.output, inputs.dy]);
    }
  }
}

/**
 * Replaces tfjs-node's convolution and max-pool kernels by ones that also take
 * a numeric (symmetric) pad. Call once the tensorflow backend is registered;
 * calling again changes nothing.
 */
export function registerExplicitPaddingKernels(): void {
  for (const name of REPLACED) {
    const original = tf.getKernel(name, "tensorflow");
    if (!original) {
      throw new Error(`tfjs-node registers no ${name} kernel`);
    }
    if ((original as { explicitPadding?: boolean }).explicitPadding) continue;
    const config = {
      kernelName: name,
      backendName: "tensorflow",
      explicitPadding: true,
      kernelFunc: (
        args: {
          inputs: Record<string, tf.TensorInfo>;
          attrs?: Attrs;
          backend: unknown;
        },
      ) => {
        const attrs = args.attrs ?? {};
        return typeof attrs.pad === "number" && attrs.pad > 0
          ? runExplicit(name, args.inputs, attrs, args.backend as NodeBackend)
          : original.kernelFunc(
            args as unknown as Parameters<typeof original.kernelFunc>[0],
          );
      },
    };
    tf.unregisterKernel(name, "tensorflow");
    tf.registerKernel(config as unknown as tf.KernelConfig);
  }
}
