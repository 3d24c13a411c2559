/**
 * Where tfjs-node (CPU) and tfjs-node-gpu (CUDA) live in this module's npm
 * folder, and where their native binding and the TensorFlow C library it links
 * against are put by `deno task setup tensorflow`. Both packages are
 * dependencies whose install scripts never run: the binding is built here
 * against a TensorFlow C library the user provides or pip fetches.
 */
import { fileURLToPath } from "node:url";
import { pathExists } from "../../io/path_exists.ts";

/** The two tfjs-node packages: the CUDA one is tried first. */
export const TENSORFLOW_PACKAGES = [
  "@tensorflow/tfjs-node-gpu",
  "@tensorflow/tfjs-node",
] as const;

/** One of {@linkcode TENSORFLOW_PACKAGES}. */
export type TensorflowPackage = typeof TENSORFLOW_PACKAGES[number];

/** The N-API version the binding is built for (tfjs-node's `lib/napi-v8`). */
export const NAPI_BUILD_VERSION = 8;

/** The paths of one tfjs-node package. */
export interface PackagePaths {
  /** The package folder. */
  root: string;
  /** `deps/include`: the C API headers the binding compiles against. */
  include: string;
  /** `deps/lib`: the libraries it links and loads (its rpath). */
  lib: string;
  /** Where tfjs-node loads the binding from. */
  binding: string;
  /** What the set-up recorded about the library it built against. */
  stamp: string;
}

/** The folder of `pkg` in this module's npm folder, or null when absent. */
export function packageRoot(pkg: TensorflowPackage): string | null {
  try {
    const manifest = fileURLToPath(import.meta.resolve(`${pkg}/package.json`));
    Deno.statSync(manifest);
    return manifest.slice(0, -"/package.json".length);
  } catch {
    return null;
  }
}

/** The paths of `pkg`, or null when the package is not installed. */
export function packagePaths(pkg: TensorflowPackage): PackagePaths | null {
  const root = packageRoot(pkg);
  if (root === null) return null;
  return {
    root,
    include: `${root}/deps/include`,
    lib: `${root}/deps/lib`,
    binding: `${root}/lib/napi-v${NAPI_BUILD_VERSION}/tfjs_binding.node`,
    stamp: `${root}/deps/pcdarts-setup.json`,
  };
}

/** The first package whose binding has been built, or null. */
export function builtPackage(): TensorflowPackage | null {
  for (const pkg of TENSORFLOW_PACKAGES) {
    const paths = packagePaths(pkg);
    if (paths && pathExists(paths.binding)) return pkg;
  }
  return null;
}
