/**
 * The `cpu` backend: tfjs' plain JavaScript kernels, the slow reference, with
 * our host kernels (layout copies, batch norm with double sums, the
 * optimizer's updates, pooling gradients).
 */
import "@tensorflow/tfjs-backend-cpu";
import type { BackendUnit } from "../backend_unit.ts";
import { HOST_MEMORY } from "../host_memory.ts";
import { registerHostOpKernels } from "../host_kernels/register_host_kernels.ts";

let prepared = false;

/** The cpu backend. */
export const CPU_BACKEND: BackendUnit = {
  name: "cpu",
  summary: "tfjs' JavaScript kernels: slow, no memory limit but the machine's",
  availability: () =>
    Promise.resolve({ available: true, reason: "JavaScript on the host" }),
  autoWorthy: () => Promise.resolve(false),
  load: () => Promise.resolve(),
  prepare(): Promise<void> {
    if (!prepared) registerHostOpKernels("cpu");
    prepared = true;
    return Promise.resolve();
  },
  onGpu: () => Promise.resolve(false),
  describeDevice: (host) => Promise.resolve(`${host} (cpu)`),
  memory: HOST_MEMORY,
};
