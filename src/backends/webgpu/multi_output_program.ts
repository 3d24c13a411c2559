/**
 * WGSL programs that write several tensors in one dispatch, fresh outputs or
 * existing tensors updated in place, on tfjs' webgpu backend.
 *
 * tfjs' `runWebGPUProgram` binds one output, so work that updates several
 * tensors took a dispatch each: an optimizer's momentum buffer then its
 * weight, every running-statistics average, every term gradient of a weighted
 * sum. Here a program binds what it reads as read-only storage and what it
 * writes as read-write storage, and is recorded into the backend's own command
 * stream (its encoder, compute pass, submit batching, uniform upload and GPU
 * timing), so ordering against tfjs' kernels is the queue's.
 *
 * In place: a tensor is written in place only when no other tensor shares its
 * data (the backend's reference count is 1); {@linkcode writableInPlace} says
 * so, and callers fall back to a fresh output otherwise. Its stale host copy,
 * if tfjs kept one after a read, is dropped.
 */
import * as tf from "../../tf.ts";
import { countProgramDispatch } from "./webgpu_programs.ts";

/** A tensor the program writes: a fresh output of `shape`, or `tensor` in place. */
export type Written =
  | { name: string; shape: number[] }
  | { name: string; tensor: tf.Tensor };

/** A scalar uniform. */
export interface ScalarUniform {
  name: string;
  type: "i32" | "f32";
  value: number;
}

/** One dispatch of a program with several written tensors. */
export interface MultiOutputProgram {
  /**
   * Cache key of the compiled pipeline: the same key must mean the same WGSL
   * (same bindings and compile-time constants).
   */
  key: string;
  /** What it writes, bound read-write in this order first. */
  writes: Written[];
  /** What it reads, bound read-only after the writes. */
  reads: { name: string; tensor: tf.Tensor }[];
  /** Scalar uniforms, as `uniforms.<name>`. */
  uniforms: ScalarUniform[];
  /** Workgroup size (one-dimensional). */
  workgroupSize: number;
  /** Workgroups (at most 65,535 in x; see `elementDispatch`). */
  workgroups: [number, number, number];
  /**
   * Module-scope WGSL (helper functions, workgroup arrays); it may read the
   * private `localIndex` (`u32`), `workgroupId` and `numWorkgroups`
   * (`vec3<u32>`), as tfjs' programs do.
   */
  prelude?: string;
  /**
   * The body of `main`, which has `index` (the flat invocation index),
   * `workgroup` (the flat workgroup index) and `local` (the index within it),
   * all `i32`.
   */
  body: string;
}

/** The parts of tfjs' webgpu backend (4.22) this records into. */
interface Backend {
  device: GPUDevice;
  tensorMap: {
    get(dataId: object): {
      resource: GPUBuffer | null;
      values: unknown;
      refCount: number;
    };
  };
  makeTensorInfo(shape: number[], dtype: "float32"): tf.TensorInfo;
  uploadToGPU(dataId: object): void;
  makeUniforms(
    uniforms: { type: "int32" | "float32"; data: number[] }[],
  ): GPUBufferBinding;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  submitQueue(): void;
  commandEncoder: GPUCommandEncoder;
  computePassEncoder: GPUComputePassEncoder | null;
  dispatchCountInPass: number;
  commandQueueOwnedIds: WeakSet<object>;
  activeTimers: { name: string; query: Promise<number> }[] | null;
  supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  querySetCount: number;
  getQueryTime(): Promise<number>;
}

const pipelines = new WeakMap<
  GPUDevice,
  Map<string, { pipeline: GPUComputePipeline; layout: GPUBindGroupLayout }>
>();

function backendInternals(): Backend {
  if (tf.getBackend() !== "webgpu") {
    throw new Error(
      `multi-output programs run on webgpu, not ${tf.getBackend()}`,
    );
  }
  return tf.backend() as unknown as Backend;
}

/**
 * Whether `t` can be written in place: on webgpu, and no other tensor shares
 * its data.
 */
export function writableInPlace(t: tf.Tensor): boolean {
  if (tf.getBackend() !== "webgpu") return false;
  const data = backendInternals().tensorMap.get(t.dataId);
  return data !== undefined && data.refCount === 1;
}

function shaderOf(program: MultiOutputProgram): string {
  const fields = program.uniforms.length > 0
    ? program.uniforms.map((u) => `  ${u.name} : ${u.type},`).join("\n")
    : "  unused : i32,";
  const bindings = [
    ...program.writes.map((w, i) =>
      `@group(0) @binding(${i}) var<storage, read_write> ${w.name} : array<f32>;`
    ),
    ...program.reads.map((r, i) =>
      `@group(0) @binding(${
        program.writes.length + i
      }) var<storage, read> ${r.name} : array<f32>;`
    ),
  ];
  const uniformBinding = program.writes.length + program.reads.length;
  return `
struct Uniforms {
${fields}
};
${bindings.join("\n")}
@group(0) @binding(${uniformBinding}) var<uniform> uniforms : Uniforms;
var<private> localIndex : u32;
var<private> workgroupId : vec3<u32>;
var<private> numWorkgroups : vec3<u32>;
${program.prelude ?? ""}
@compute @workgroup_size(${program.workgroupSize})
fn main(@builtin(local_invocation_index) localIndexIn : u32,
        @builtin(workgroup_id) workgroupIdIn : vec3<u32>,
        @builtin(num_workgroups) numWorkgroupsIn : vec3<u32>) {
  localIndex = localIndexIn;
  workgroupId = workgroupIdIn;
  numWorkgroups = numWorkgroupsIn;
  let workgroup = i32((workgroupIdIn.z * numWorkgroupsIn.y + workgroupIdIn.y) * numWorkgroupsIn.x + workgroupIdIn.x);
  let local = i32(localIndexIn);
  let index = workgroup * ${program.workgroupSize} + local;
  ${program.body}
}`;
}

function pipelineOf(backend: Backend, program: MultiOutputProgram) {
  let cache = pipelines.get(backend.device);
  if (!cache) pipelines.set(backend.device, cache = new Map());
  const key =
    `${program.key}|w${program.writes.length}|r${program.reads.length}|u${
      program.uniforms.map((u) => u.type).join("")
    }|g${program.workgroupSize}`;
  let entry = cache.get(key);
  if (!entry) {
    const entries: GPUBindGroupLayoutEntry[] = [
      ...program.writes.map(() => ({ type: "storage" as const })),
      ...program.reads.map(() => ({ type: "read-only-storage" as const })),
      { type: "uniform" as const },
    ].map((buffer, binding) => ({
      binding,
      visibility: GPUShaderStage.COMPUTE,
      buffer,
    }));
    const layout = backend.device.createBindGroupLayout({ entries });
    const pipeline = backend.device.createComputePipeline({
      layout: backend.device.createPipelineLayout({
        bindGroupLayouts: [layout],
      }),
      compute: {
        module: backend.device.createShaderModule({ code: shaderOf(program) }),
        entryPoint: "main",
      },
    });
    entry = { pipeline, layout };
    cache.set(key, entry);
  }
  return entry;
}

/**
 * Records one dispatch of `program` and returns its fresh outputs, in the
 * order of `writes` (tensors written in place are not returned).
 */
export function runMultiOutputProgram(
  program: MultiOutputProgram,
): tf.Tensor[] {
  const backend = backendInternals();
  const limit = backend.device.limits.maxStorageBuffersPerShaderStage;
  const buffers = program.writes.length + program.reads.length;
  if (buffers > limit) {
    throw new Error(
      `${program.key}: ${buffers} storage buffers, over the device's ${limit}`,
    );
  }
  const fresh: tf.Tensor[] = [];
  const written = program.writes.map((w) => {
    if ("tensor" in w) {
      if (!writableInPlace(w.tensor)) {
        throw new Error(
          `${program.key}: ${w.name} shares its data with another tensor and cannot be written in place`,
        );
      }
      return w.tensor as tf.TensorInfo;
    }
    const info = backend.makeTensorInfo(w.shape, "float32");
    fresh.push(tf.engine().makeTensorFromTensorInfo(info));
    return info;
  });
  for (const r of program.reads) {
    if (r.tensor.dtype !== "float32") {
      throw new Error(
        `${program.key}: ${r.name} must be float32, got ${r.tensor.dtype}`,
      );
    }
  }
  const bound = [...written, ...program.reads.map((r) => r.tensor)];
  for (const t of bound) backend.uploadToGPU(t.dataId);
  const { pipeline, layout } = pipelineOf(backend, program);
  const uniforms = backend.makeUniforms(
    program.uniforms.length > 0
      ? program.uniforms.map((u) => ({
        type: u.type === "i32" ? "int32" as const : "float32" as const,
        data: [u.value],
      }))
      : [{ type: "int32", data: [0] }],
  );
  const bindGroup = backend.device.createBindGroup({
    layout,
    entries: [
      ...bound.map((t, binding) => ({
        binding,
        resource: { buffer: backend.tensorMap.get(t.dataId).resource! },
      })),
      { binding: bound.length, resource: uniforms },
    ],
  });
  for (const t of bound) backend.commandQueueOwnedIds.add(t.dataId);
  // A host copy kept after a read is stale once the GPU writes the buffer.
  for (const t of written) backend.tensorMap.get(t.dataId).values = null;

  backend.ensureCommandEncoderReady();
  const timed = backend.activeTimers != null && backend.supportTimestampQuery;
  if (timed) {
    backend.endComputePassEncoder();
    if (backend.querySet == null) {
      backend.querySet = backend.device.createQuerySet({
        type: "timestamp",
        count: backend.querySetCount,
      });
    }
    backend.computePassEncoder = backend.commandEncoder.beginComputePass({
      timestampWrites: {
        querySet: backend.querySet,
        beginningOfPassWriteIndex: 0,
        endOfPassWriteIndex: 1,
      },
    });
  } else if (!backend.computePassEncoder) {
    backend.computePassEncoder = backend.commandEncoder.beginComputePass({});
  }
  const pass = backend.computePassEncoder!;
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  pass.dispatchWorkgroups(...program.workgroups);
  backend.dispatchCountInPass++;
  countProgramDispatch();
  if (backend.activeTimers != null) {
    backend.endComputePassEncoder();
    backend.activeTimers.push({
      name: program.key,
      query: backend.getQueryTime(),
    });
  } else if (
    (tf.env().get("WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE") as number) <=
      backend.dispatchCountInPass
  ) {
    backend.endComputePassEncoder();
    backend.submitQueue();
  }
  return fresh;
}
