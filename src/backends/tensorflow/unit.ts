/**
 * The `tensorflow` backend: TensorFlow's C library through tfjs-node's binding
 * (`@tensorflow/tfjs-node-gpu` with CUDA, else `@tensorflow/tfjs-node`), with
 * explicit-padding convolutions of ours. Its tensors live in host memory.
 */
import * as tf from "../../tf.ts";
import { BackendSetupError, type BackendUnit } from "../backend_unit.ts";
import { setupTensorflow } from "./setup.ts";
import { HOST_MEMORY } from "../host_memory.ts";
import { registerExplicitPaddingKernels } from "./explicit_padding_kernels.ts";
import { loadTensorflow, TENSORFLOW_INSTALL_HINT } from "./load.ts";
import { builtPackage, TENSORFLOW_PACKAGES } from "./package.ts";

/** The tensorflow backend. */
export const TENSORFLOW_BACKEND: BackendUnit = {
  name: "tensorflow",
  summary:
    "TensorFlow's C library through tfjs-node (set up by `deno task setup tensorflow`)",
  autoRank: 0,
  setupCommand: "deno task setup tensorflow",
  availability() {
    const built = builtPackage();
    return Promise.resolve(
      built === null
        ? { available: false, reason: `not set up; ${TENSORFLOW_INSTALL_HINT}` }
        : { available: true, reason: built },
    );
  },
  async autoWorthy() {
    return (await loadTensorflow()).loaded !== undefined;
  },
  async load() {
    const { loaded, reasons } = await loadTensorflow();
    if (loaded) return;
    throw new Error(
      `the tensorflow backend is not set up (${
        reasons.join("; ")
      }); ${TENSORFLOW_INSTALL_HINT}`,
    );
  },
  prepare() {
    registerExplicitPaddingKernels();
    return Promise.resolve();
  },
  async onGpu() {
    return (await loadTensorflow()).loaded === TENSORFLOW_PACKAGES[0];
  },
  async setUp(options) {
    const result = await setupTensorflow(options);
    return result.alreadyDone
      ? `already done: ${result.binding} is built against ${result.library.library}; nothing to do (--force rebuilds)`
      : `built ${result.binding} against ${result.library.library}`;
  },
  async verify() {
    // A padded, strided convolution, the kind of kernel this project adds to
    // tfjs-node: PyTorch pads 4x4 by one on every side, TensorFlow's 'same'
    // would pad only after, and the two give different windows.
    const y = tf.tidy(() =>
      tf.conv2d(
        tf.range(0, 16).reshape([1, 4, 4, 1]) as tf.Tensor4D,
        tf.ones([3, 3, 1, 1]) as tf.Tensor4D,
        2,
        1,
      )
    );
    const values = [...await y.data()];
    y.dispose();
    if (values.join() !== "10,24,51,90") {
      throw new BackendSetupError(
        `the check convolution gave ${
          values.join(", ")
        }, not 10, 24, 51, 90: the binding loads but computes wrongly`,
      );
    }
    const version = (tf.backend() as unknown as {
      binding?: { TF_Version?: string };
    }).binding?.TF_Version ?? "unknown";
    return `TensorFlow ${version}`;
  },
  describeDevice: (host) => Promise.resolve(`libtensorflow; host ${host}`),
  memory: HOST_MEMORY,
};
