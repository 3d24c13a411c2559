/**
 * What Deno's WebGPU offers on this machine: an adapter and whether it is a
 * software rasterizer.
 */
import { loadTensorflowIfBuilt } from "../tensorflow/load.ts";

/** What WebGPU offers here: the adapter description, or why there is none. */
export interface WebGpuAdapterInfo {
  /** Whether an adapter was found. */
  available: boolean;
  /** The adapter's description (e.g. "NVIDIA H100", "llvmpipe (LLVM 15)"). */
  description: string;
  /** Whether it is a software rasterizer (lavapipe, llvmpipe, SwiftShader). */
  software: boolean;
}

/**
 * Asks Deno's WebGPU for an adapter and classifies it. TensorFlow's library is
 * loaded first where it is built: loaded after a Vulkan driver (both bring
 * LLVM) it crashed the process.
 */
export async function probeWebGpu(): Promise<WebGpuAdapterInfo> {
  await loadTensorflowIfBuilt();
  ensureRuntimeDir();
  const gpu = (navigator as unknown as {
    gpu?: { requestAdapter(): Promise<unknown> };
  }).gpu;
  if (!gpu) {
    return {
      available: false,
      description: "no navigator.gpu",
      software: false,
    };
  }
  try {
    const adapter = await gpu.requestAdapter() as {
      info?: { description?: string; vendor?: string; device?: string };
      isFallbackAdapter?: boolean;
    } | null;
    if (!adapter) {
      return {
        available: false,
        description: "no WebGPU adapter (no Vulkan/Metal/D3D12 driver found)",
        software: false,
      };
    }
    const info = adapter.info ?? {};
    const description = info.description || info.device || info.vendor ||
      "unknown adapter";
    const software = Boolean(adapter.isFallbackAdapter) ||
      /llvmpipe|lavapipe|swiftshader|software/i.test(description);
    return { available: true, description, software };
  } catch (error) {
    return {
      available: false,
      description: `WebGPU adapter request failed: ${(error as Error).message}`,
      software: false,
    };
  }
}

/**
 * Vulkan's window-system layers ask for `XDG_RUNTIME_DIR` and print an error
 * for every adapter request where it is unset (headless machines, CI). A
 * private temporary folder stands in for it; where it cannot be made, the
 * messages stay and nothing else changes.
 */
function ensureRuntimeDir(): void {
  try {
    if (Deno.env.get("XDG_RUNTIME_DIR")) return;
    const dir = Deno.makeTempDirSync({ prefix: "pcdarts_xdg_" });
    Deno.chmodSync(dir, 0o700);
    Deno.env.set("XDG_RUNTIME_DIR", dir);
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // already gone
      }
    });
  } catch {
    // no permission to write or to set the environment
  }
}
