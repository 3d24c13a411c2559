/**
 * The webgpu backend's device, asked for with more storage buffers per shader
 * stage than WebGPU's default of 8 (up to {@linkcode WANTED_STORAGE_BUFFERS}
 * where the adapter allows them). One program can then read or write many
 * tensors: an optimizer updates a group of variables and their momentum
 * buffers in one dispatch, a batch norm's running statistics are all
 * averaged in a few, and a weighted sum's term gradients come out of one. The
 * rest of the device request follows tfjs' own (4.22): the adapter's limits
 * for workgroup storage, workgroup counts and sizes and buffer sizes, and
 * timestamp queries where the adapter has them; tfjs' request for
 * `bgra8unorm-storage`, which only its canvas paths use, is left out.
 */
import * as tf from "../../tf.ts";

/** Storage buffers per stage asked for (lavapipe and NVIDIA's drivers offer at least this). */
export const WANTED_STORAGE_BUFFERS = 32;

/** tfjs' priority for its webgpu backend. */
const PRIORITY = 3;

let registered = false;

/**
 * Replaces tfjs' webgpu backend factory (before the backend is first created)
 * with one whose device has the raised storage-buffer limit. Idempotent.
 * (The package is imported here, not at module load: importing it registers
 * webgpu as the default backend, which modules that only read this limit must
 * not do.)
 */
export async function registerWebGpuDevice(): Promise<void> {
  if (registered || typeof navigator === "undefined" || !navigator.gpu) return;
  registered = true;
  // A backend already created keeps its device.
  // (tf.findBackend would start creating it.)
  const engine = tf.engine() as unknown as {
    registry: Record<string, unknown>;
  };
  if (engine.registry["webgpu"] !== undefined) return;
  const { WebGPUBackend } = await import("@tensorflow/tfjs-backend-webgpu");
  tf.removeBackend("webgpu");
  tf.registerBackend("webgpu", async () => {
    const adapter = await navigator.gpu.requestAdapter({
      powerPreference: tf.env().get("WEBGPU_USE_LOW_POWER_GPU")
        ? "low-power"
        : "high-performance",
    });
    if (!adapter) throw new Error("webgpu: no adapter");
    const limits = adapter.limits;
    const features: GPUFeatureName[] = [];
    if (adapter.features.has("timestamp-query")) {
      features.push("timestamp-query");
    }
    const device = await adapter.requestDevice({
      requiredFeatures: features,
      requiredLimits: {
        maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
        maxComputeWorkgroupsPerDimension:
          limits.maxComputeWorkgroupsPerDimension,
        maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
        maxBufferSize: limits.maxBufferSize,
        maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
        maxComputeInvocationsPerWorkgroup:
          limits.maxComputeInvocationsPerWorkgroup,
        maxStorageBuffersPerShaderStage: Math.min(
          WANTED_STORAGE_BUFFERS,
          limits.maxStorageBuffersPerShaderStage,
        ),
      },
    });
    return new WebGPUBackend(
      device,
      adapter.info as unknown as ConstructorParameters<typeof WebGPUBackend>[1],
    );
  }, PRIORITY);
}

/** Storage buffers one program may bind on the current webgpu device (8 elsewhere). */
export function storageBufferLimit(): number {
  const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
  return device?.limits.maxStorageBuffersPerShaderStage ?? 8;
}
