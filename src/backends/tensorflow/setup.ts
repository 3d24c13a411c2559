/**
 * Setting up the tensorflow backend: tfjs-node's N-API binding, built here
 * against a TensorFlow C library, because tfjs-node's own install step
 * downloads a prebuilt one from the internet.
 *
 * The library comes from a folder the user names (`--lib-dir`, or
 * `PCDARTS_TENSORFLOW_LIB_DIR`): the libtensorflow tarball's layout (`lib/`,
 * `include/`) or the TensorFlow wheel's (`libtensorflow_cc.so.2`,
 * `libtensorflow_framework.so.2`, `include/`). Without one, the CPU package
 * takes it from pip's `tensorflow-cpu` wheel, which holds the C API. The CUDA
 * package needs a CUDA build of the C library, which pip does not serve.
 *
 * The package's `deps/include` and `deps/lib` become links into that library
 * (the binding's rpath is `deps/lib`), node-gyp builds the binding with Node's
 * headers, and a stamp records what it was built against, so that a second run
 * with the same library does nothing.
 */
import { dirname, join, resolve } from "node:path";
import {
  NAPI_BUILD_VERSION,
  type PackagePaths,
  packagePaths,
  type TensorflowPackage,
} from "./package.ts";
import { pathExists } from "../../io/path_exists.ts";

/** The TensorFlow wheel pip fetches for the CPU package. */
export const TENSORFLOW_WHEEL = "tensorflow-cpu==2.21.0";

/** Why a set-up cannot go on, and what to do. */
import { BackendSetupError as SetupError } from "../backend_unit.ts";

export { SetupError };

/** What {@linkcode setupTensorflow} needs. */
export interface SetupOptions {
  /** Build tfjs-node-gpu (CUDA) instead of tfjs-node (CPU). */
  gpu?: boolean;
  /** A folder holding the TensorFlow C library and its headers. */
  libDir?: string;
  /** A TensorFlow wheel file to take the library from (CPU only). */
  wheel?: string;
  /** Where fetched and unpacked files are kept (default: in node_modules). */
  cacheDir?: string;
  /** The prefix under which Node's headers are (`include/node/node_api.h`). */
  nodeDir?: string;
  /** Rebuild even when the stamp says it is done. */
  force?: boolean;
  /** Progress lines. */
  log?: (line: string) => void;
}

/** The located library: its two shared objects and its headers. */
export interface TensorflowLibrary {
  /** The main library (the `TF_*`/`TFE_*` symbols). */
  library: string;
  /** libtensorflow_framework.so.2. */
  framework: string;
  /** The folder holding `tensorflow/c/c_api.h`. */
  include: string;
}

/** What a set-up did. */
export interface SetupResult {
  /** The package set up. */
  package: TensorflowPackage;
  /** True when the binding was already built against this library. */
  alreadyDone: boolean;
  /** The library it links. */
  library: TensorflowLibrary;
  /** The binding file. */
  binding: string;
}

/** What the stamp file records. */
interface Stamp {
  library: string;
  bytes: number;
  modified: number;
  napi: number;
}

/** Finds the library in a folder of either layout, or says what is missing. */
export function findLibrary(dir: string): TensorflowLibrary {
  const root = resolve(dir);
  if (!pathExists(root)) {
    throw new SetupError(
      `the TensorFlow library folder ${root} does not exist`,
    );
  }
  const candidates = [
    // The libtensorflow tarball (CPU or CUDA): lib/ and include/.
    {
      library: join(root, "lib", "libtensorflow.so.2"),
      framework: join(root, "lib", "libtensorflow_framework.so.2"),
      include: join(root, "include"),
    },
    // The wheel's tensorflow/ folder.
    {
      library: join(root, "libtensorflow_cc.so.2"),
      framework: join(root, "libtensorflow_framework.so.2"),
      include: join(root, "include"),
    },
  ];
  for (const c of candidates) {
    if (pathExists(c.library) && pathExists(c.framework)) {
      if (!pathExists(join(c.include, "tensorflow", "c", "c_api.h"))) {
        throw new SetupError(
          `${root} has the TensorFlow libraries but not their headers (${
            join(c.include, "tensorflow/c/c_api.h")
          } is missing); use the libtensorflow tarball, which has include/, or the wheel's tensorflow/ folder`,
        );
      }
      return c;
    }
  }
  throw new SetupError(
    `${root} holds no TensorFlow C library: expected lib/libtensorflow.so.2 and lib/libtensorflow_framework.so.2 (the libtensorflow tarball) or libtensorflow_cc.so.2 and libtensorflow_framework.so.2 (the wheel's tensorflow/ folder)`,
  );
}

async function run(
  command: string,
  args: string[],
  options: { cwd?: string; what: string; hint: string },
): Promise<string> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(command, {
      args,
      cwd: options.cwd,
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new SetupError(
        `${options.what} needs \`${command}\`, which is not installed; ${options.hint}`,
      );
    }
    throw error;
  }
  const decoder = new TextDecoder();
  if (!output.success) {
    const tail = (decoder.decode(output.stdout) + decoder.decode(output.stderr))
      .trim().split("\n").slice(-15).join("\n");
    throw new SetupError(
      `${options.what} failed (${command} ${
        args.join(" ")
      }):\n${tail}\n${options.hint}`,
    );
  }
  return decoder.decode(output.stdout);
}

/** The Python that runs pip: `PCDARTS_PIP_PYTHON`, else `python3`. */
function pipPython(): string {
  return Deno.env.get("PCDARTS_PIP_PYTHON") ?? "python3";
}

/** Fetches the wheel with pip into `dir` unless one is there; returns its path. */
async function fetchWheel(
  dir: string,
  log: (line: string) => void,
): Promise<string> {
  const present = () =>
    [...Deno.readDirSync(dir)].find((e) =>
      /^tensorflow_cpu-2\.21\.0-.*\.whl$/.test(e.name)
    );
  let found = present();
  if (!found) {
    log(`fetching ${TENSORFLOW_WHEEL} with pip (about 270 MB) into ${dir}`);
    await run(pipPython(), [
      "-m",
      "pip",
      "download",
      "--no-deps",
      "--only-binary=:all:",
      "-d",
      dir,
      TENSORFLOW_WHEEL,
    ], {
      what: `fetching ${TENSORFLOW_WHEEL}`,
      hint:
        "pip must reach an index that serves it (or give the library with --lib-dir DIR or a wheel with --wheel FILE)",
    });
    found = present();
    if (!found) {
      throw new SetupError(`pip reported success but left no wheel in ${dir}`);
    }
  }
  return join(dir, found.name);
}

/** Unpacks the C library and headers of a wheel into `dir` (once). */
async function unpackWheel(
  wheel: string,
  dir: string,
  log: (line: string) => void,
): Promise<TensorflowLibrary> {
  const target = join(dir, "tensorflow");
  const done = join(dir, "unpacked");
  if (!pathExists(done)) {
    log(`unpacking the C library and headers of ${wheel}`);
    const script = [
      "import sys, zipfile",
      "z = zipfile.ZipFile(sys.argv[1])",
      "keep = ('tensorflow/libtensorflow_cc.so.2', 'tensorflow/libtensorflow_framework.so.2')",
      "heads = ('tensorflow/include/tensorflow/c/', 'tensorflow/include/tensorflow/core/platform/', 'tensorflow/include/tsl/', 'tensorflow/include/xla/tsl/')",
      "names = [n for n in z.namelist() if n in keep or n.startswith(heads)]",
      "missing = [k for k in keep if k not in names]",
      "if missing: sys.exit('the wheel lacks ' + ', '.join(missing))",
      "[z.extract(n, sys.argv[2]) for n in names]",
    ].join("\n");
    await run(pipPython(), ["-c", script, wheel, dir], {
      what: `unpacking ${wheel}`,
      hint: "is it a TensorFlow wheel for Linux x86-64?",
    });
    await Deno.writeTextFile(done, `${wheel}\n`);
  }
  return findLibrary(target);
}

/** The prefix whose `include/node/node_api.h` exists, or a clear error. */
export function findNodeDir(given?: string): string {
  const candidates: string[] = [];
  if (given) candidates.push(given);
  const env = Deno.env.get("PCDARTS_NODE_DIR");
  if (env) candidates.push(env);
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (dir && pathExists(join(dir, "node"))) {
      candidates.push(dirname(dirname(Deno.realPathSync(join(dir, "node")))));
      candidates.push(dirname(dir));
    }
  }
  candidates.push("/usr", "/usr/local");
  for (const prefix of candidates) {
    if (pathExists(join(prefix, "include", "node", "node_api.h"))) {
      return prefix;
    }
  }
  throw new SetupError(
    `Node's headers (include/node/node_api.h) were not found under ${
      [...new Set(candidates)].join(", ")
    }; install Node with its headers (Debian: the nodejs package of NodeSource, or libnode-dev) and pass the prefix with --node-dir`,
  );
}

/** node-gyp: npm's own copy, else whatever `npx` finds. */
async function nodeGyp(): Promise<{ command: string; args: string[] }> {
  let root = "";
  try {
    root = (await run("npm", ["root", "-g"], {
      what: "finding npm",
      hint: "install Node.js with npm",
    })).trim();
  } catch (error) {
    if (!(error instanceof SetupError)) throw error;
  }
  const bundled = join(
    root,
    "npm",
    "node_modules",
    "node-gyp",
    "bin",
    "node-gyp.js",
  );
  if (root && pathExists(bundled)) return { command: "node", args: [bundled] };
  return { command: "npx", args: ["--yes", "node-gyp@11"] };
}

/** Makes `link` point at `target`, replacing whatever was there. */
async function link(target: string, link: string): Promise<void> {
  try {
    await Deno.remove(link, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.symlink(target, link);
}

async function readStamp(path: string): Promise<Stamp | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as Stamp;
  } catch {
    return null;
  }
}

function stampOf(library: TensorflowLibrary): Stamp {
  const real = Deno.realPathSync(library.library);
  const info = Deno.statSync(real);
  return {
    library: real,
    bytes: info.size,
    modified: info.mtime?.getTime() ?? 0,
    napi: NAPI_BUILD_VERSION,
  };
}

/** Fills `deps/` with links to the library and builds the binding. */
async function build(
  paths: PackagePaths,
  library: TensorflowLibrary,
  nodeDir: string,
  log: (line: string) => void,
): Promise<void> {
  await Deno.mkdir(join(paths.root, "deps"), { recursive: true });
  await link(library.include, paths.include);
  await Deno.remove(paths.lib, { recursive: true }).catch(() => {});
  await Deno.mkdir(paths.lib, { recursive: true });
  const main = Deno.realPathSync(library.library);
  const framework = Deno.realPathSync(library.framework);
  // -ltensorflow finds libtensorflow.so; the loader looks for the library's
  // SONAME (libtensorflow.so.2 in the tarball, libtensorflow_cc.so.2 in the
  // wheel) in deps/lib, the binding's rpath.
  for (
    const name of [
      "libtensorflow.so",
      "libtensorflow.so.2",
      "libtensorflow_cc.so.2",
    ]
  ) {
    await link(main, join(paths.lib, name));
  }
  for (
    const name of ["libtensorflow_framework.so", "libtensorflow_framework.so.2"]
  ) {
    await link(framework, join(paths.lib, name));
  }
  const gyp = await nodeGyp();
  log(`building ${paths.binding} with node-gyp (about 10 s)`);
  await run(gyp.command, [
    ...gyp.args,
    "rebuild",
    "--module_name=tfjs_binding",
    `--module_path=${dirname(paths.binding)}`,
    `--napi_build_version=${NAPI_BUILD_VERSION}`,
    `--nodedir=${nodeDir}`,
  ], {
    cwd: paths.root,
    what: "building tfjs-node's binding",
    hint:
      "node-gyp needs python3, make and a C++ compiler (Debian: apt-get install -y python3 make g++)",
  });
  if (!pathExists(paths.binding)) {
    throw new SetupError(`node-gyp succeeded but ${paths.binding} is missing`);
  }
}

/**
 * Sets up the tensorflow backend (see the module docs). Returns quickly with
 * `alreadyDone` when the binding was built against the same library.
 */
export async function setupTensorflow(
  options: SetupOptions = {},
): Promise<SetupResult> {
  const log = options.log ?? (() => {});
  const pkg: TensorflowPackage = options.gpu
    ? "@tensorflow/tfjs-node-gpu"
    : "@tensorflow/tfjs-node";
  const paths = packagePaths(pkg);
  if (paths === null) {
    throw new SetupError(
      `${pkg} is not in this module's npm folder; run \`deno install\` first`,
    );
  }
  const libDir = options.libDir ?? Deno.env.get("PCDARTS_TENSORFLOW_LIB_DIR");
  let library: TensorflowLibrary | null = null;
  if (libDir) {
    library = findLibrary(libDir);
  } else if (options.gpu) {
    throw new SetupError(
      "the CUDA package needs a CUDA build of the TensorFlow C library, which pip does not serve: download libtensorflow-gpu-linux-x86_64 (the version tfjs-node-gpu 4.22 expects is 2.9.1) from TensorFlow's storage, unpack it, and pass the folder with --lib-dir DIR (or PCDARTS_TENSORFLOW_LIB_DIR)",
    );
  }
  // Beside the packages in the npm folder, so that nothing reaches git.
  const npmFolder = paths.root.slice(
    0,
    paths.root.lastIndexOf("/node_modules/.deno/") + "/node_modules".length,
  );
  const cacheDir = options.cacheDir ?? join(npmFolder, ".pcdarts-tensorflow");
  if (library === null && !options.wheel) {
    // Before fetching: a set-up from the cache needs no pip.
    const cached = join(cacheDir, "tensorflow");
    if (pathExists(join(cacheDir, "unpacked"))) library = findLibrary(cached);
  }
  if (library !== null && !options.force && pathExists(paths.binding)) {
    const stamp = await readStamp(paths.stamp);
    const now = stampOf(library);
    if (stamp && JSON.stringify(stamp) === JSON.stringify(now)) {
      return {
        package: pkg,
        alreadyDone: true,
        library,
        binding: paths.binding,
      };
    }
  }
  const nodeDir = findNodeDir(options.nodeDir);
  if (library === null) {
    await Deno.mkdir(cacheDir, { recursive: true });
    const wheel = options.wheel
      ? resolve(options.wheel)
      : await fetchWheel(cacheDir, log);
    if (!pathExists(wheel)) {
      throw new SetupError(`the wheel ${wheel} does not exist`);
    }
    library = await unpackWheel(wheel, cacheDir, log);
    // A fetched wheel is 270 MB that nothing reads again.
    if (!options.wheel) await Deno.remove(wheel);
  }
  await build(paths, library, nodeDir, log);
  const stamp = stampOf(library);
  const temporary = `${paths.stamp}.tmp`;
  await Deno.writeTextFile(temporary, JSON.stringify(stamp));
  await Deno.rename(temporary, paths.stamp);
  return { package: pkg, alreadyDone: false, library, binding: paths.binding };
}
