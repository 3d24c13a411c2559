/**
 * Registers the host kernels for our ops on the backends whose tensors
 * JavaScript reads synchronously and cheaply (cpu and wasm): layout copies,
 * batch norm with double sums, the optimizer's updates, pooling gradients.
 */
import { batchNormTraining } from "../../ops/batch_norm.ts";
import {
  concatChannelParts,
  slice4d,
  spreadAndPadChecked,
  weightedSum,
} from "../../ops/layout.ts";
import { registerOpKernel } from "../../ops/op_kernels.ts";
import { avgPoolValid, maxPool } from "../../ops/pooling.ts";
import { sgdUpdate } from "../../ops/sgd_update.ts";
import { padSpatialNonEmpty, subsample2 } from "../../ops/spatial.ts";
import { globalNorm } from "../../ops/squared_norm.ts";
import { batchNormTrainingHost } from "./batch_norm_host.ts";
import {
  concatChannelsHost,
  padSpatialHost,
  slice4dHost,
  spreadAndPadHost,
  subsample2Host,
  weightedSumHost,
} from "./layout_host.ts";
import { globalNormHost, sgdUpdateHost } from "./optimizer_host.ts";
import { avgPoolValidHost, maxPoolWasm } from "./pooling_host.ts";

/** Registers every host kernel for `backend` (`cpu` or `wasm`). */
export function registerHostOpKernels(backend: "cpu" | "wasm"): void {
  registerOpKernel(slice4d, backend, slice4dHost);
  registerOpKernel(concatChannelParts, backend, concatChannelsHost);
  registerOpKernel(subsample2, backend, subsample2Host);
  registerOpKernel(padSpatialNonEmpty, backend, padSpatialHost);
  registerOpKernel(weightedSum, backend, weightedSumHost);
  registerOpKernel(spreadAndPadChecked, backend, spreadAndPadHost);
  registerOpKernel(batchNormTraining, backend, batchNormTrainingHost);
  registerOpKernel(avgPoolValid, backend, avgPoolValidHost);
  registerOpKernel(sgdUpdate, backend, sgdUpdateHost);
  registerOpKernel(globalNorm, backend, globalNormHost);
  // tfjs' wasm MaxPoolGrad picks wrong positions; cpu's is right.
  if (backend === "wasm") {
    registerOpKernel(
      maxPool,
      backend,
      (x, kernel, stride, padding) => maxPoolWasm(x, kernel, stride, padding),
    );
  }
}
