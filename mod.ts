/**
 * pcdarts: PC-DARTS (partial channel connections and edge normalization)
 * architecture search on TensorFlow.js, with the DARTS baselines.
 *
 * ```ts
 * import { initBackend, SearchNetwork } from "./mod.ts";
 * await initBackend("wasm");
 * const network = new SearchNetwork({
 *   channels: 16, layers: 8, numClasses: 10,
 *   partialChannels: 4, edgeNormalization: true,
 * });
 * console.log(await network.genotype());
 * ```
 *
 * @module
 */
export {
  type BackendInfo,
  type BackendName,
  BACKENDS,
  describeDevice,
  describeHost,
  initBackend,
  probeWebGpu,
  type WebGpuAdapterInfo,
} from "./src/backends/init.ts";
export {
  currentExecutionOptions,
  defaultExecutionOptions,
  type ExecutionOptions,
  setExecutionOptions,
  withExecutionOptions,
} from "./src/ops/execution_options.ts";
export type {
  Scalar,
  Tensor,
  Tensor1D,
  Tensor2D,
  Tensor4D,
  Variable,
} from "./src/tensor_types.ts";
export {
  type ArchitectureParameters,
  crossEntropy,
  edgeNormalization,
  SearchNetwork,
  type SearchNetworkConfig,
} from "./src/space/search_network.ts";
export { MixedOp, type PartialChannelOptions } from "./src/space/mixed_op.ts";
export type { SharedEdgeInputs } from "./src/space/shared_edge_inputs.ts";
export { channelShuffle } from "./src/ops/channel_shuffle.ts";
export type { CellRecomputation } from "./src/ops/recompute.ts";
export {
  createPrimitive,
  type Operation,
  type PrimitiveName,
  type PrimitiveOptions,
  PRIMITIVES,
} from "./src/space/primitives.ts";
export {
  type BatchStatistics,
  type ForwardContext,
  type Layout,
  type Parameter,
  ParameterStore,
} from "./src/space/parameters.ts";
export {
  type ImportReport,
  importTorchWeights,
} from "./src/space/weight_import.ts";
export {
  type ArchitectureValues,
  deriveCell,
  deriveGenotype,
  formatGenotype,
  type Genotype,
  type GenotypeEdge,
  parseGenotype,
  validateSearchedCell,
} from "./src/space/genotype.ts";
export {
  encodeSafetensors,
  type NamedArray,
  parseSafetensors,
  readSafetensors,
  type SafetensorsFile,
} from "./src/io/safetensors.ts";
export {
  checkFixture,
  detectFixtureKind,
  type FileParity,
  type FixtureKind,
} from "./src/parity/run_parity.ts";
export type { ParityRow } from "./src/parity/parity_row.ts";
export type { ParityOptions } from "./src/parity/check_network.ts";
export type { FixtureTolerances } from "./src/parity/summary.ts";
export { Random, type RandomState } from "./src/ops/random.ts";
