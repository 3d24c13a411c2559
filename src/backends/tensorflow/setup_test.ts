import assert from "node:assert/strict";
import { findLibrary, SetupError, setupTensorflow } from "./setup.ts";
import { main } from "../../cli/setup.ts";
import { builtPackage, packagePaths } from "./package.ts";

async function withFolder(
  files: string[],
  body: (dir: string) => Promise<void> | void,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "tf-setup-" });
  try {
    for (const file of files) {
      const path = `${dir}/${file}`;
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), {
        recursive: true,
      });
      await Deno.writeTextFile(path, "");
    }
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("the C library is found in the tarball's layout and in the wheel's", async () => {
  await withFolder([
    "lib/libtensorflow.so.2",
    "lib/libtensorflow_framework.so.2",
    "include/tensorflow/c/c_api.h",
  ], (dir) => {
    const found = findLibrary(dir);
    assert.equal(found.library, `${dir}/lib/libtensorflow.so.2`);
    assert.equal(found.include, `${dir}/include`);
  });
  await withFolder([
    "libtensorflow_cc.so.2",
    "libtensorflow_framework.so.2",
    "include/tensorflow/c/c_api.h",
  ], (dir) => {
    assert.equal(findLibrary(dir).library, `${dir}/libtensorflow_cc.so.2`);
  });
});

Deno.test("a library folder without the library or its headers is refused with what is missing", async () => {
  await withFolder(["lib/libtensorflow.so.2"], (dir) => {
    assert.throws(
      () => findLibrary(dir),
      (e: Error) =>
        e instanceof SetupError && e.message.includes(dir) &&
        /holds no TensorFlow C library: expected lib\/libtensorflow\.so\.2/
          .test(e.message),
    );
  });
  await withFolder([
    "libtensorflow_cc.so.2",
    "libtensorflow_framework.so.2",
  ], (dir) => {
    assert.throws(
      () => findLibrary(dir),
      /has the TensorFlow libraries but not their headers .*c_api\.h is missing/,
    );
  });
  assert.throws(
    () => findLibrary("/nonexistent/tf"),
    /\/nonexistent\/tf does not exist/,
  );
});

Deno.test("the CUDA package without a CUDA library says where to get one", async () => {
  const before = Deno.env.get("PCDARTS_TENSORFLOW_LIB_DIR");
  Deno.env.delete("PCDARTS_TENSORFLOW_LIB_DIR");
  try {
    await assert.rejects(
      setupTensorflow({ gpu: true }),
      /CUDA build of the TensorFlow C library, which pip does not serve.*--lib-dir DIR/,
    );
  } finally {
    if (before !== undefined) {
      Deno.env.set("PCDARTS_TENSORFLOW_LIB_DIR", before);
    }
  }
});

Deno.test("without pip the set-up stops and says what it needs", async () => {
  await withFolder([], async (cache) => {
    const before = Deno.env.get("PCDARTS_PIP_PYTHON");
    Deno.env.set("PCDARTS_PIP_PYTHON", "/nonexistent/python3");
    try {
      await assert.rejects(
        setupTensorflow({ cacheDir: cache, force: true }),
        (e: Error) =>
          e instanceof SetupError &&
          /needs `\/nonexistent\/python3`, which is not installed/.test(
            e.message,
          ),
      );
    } finally {
      if (before === undefined) Deno.env.delete("PCDARTS_PIP_PYTHON");
      else Deno.env.set("PCDARTS_PIP_PYTHON", before);
    }
  });
});

Deno.test("the set-up command refuses anything but tensorflow, and a wheel with --gpu, with status 2", async () => {
  const errors: string[] = [];
  const error = console.error;
  console.error = (line: string) => errors.push(line);
  try {
    assert.equal(await main(["cuda"]), 2);
    assert.equal(await main([]), 2);
    assert.equal(await main(["tensorflow", "--gpu", "--wheel", "x.whl"]), 2);
    assert.equal(await main(["tensorflow", "--bogus"]), 2);
  } finally {
    console.error = error;
  }
  assert.match(
    errors[0],
    /what can be set up is "tensorflow"; got "cuda"/,
  );
  assert.match(errors[1], /got nothing/);
  assert.match(
    errors[2],
    /--wheel is for the CPU package; --gpu needs --lib-dir/,
  );
});

Deno.test({
  name:
    "once set up, a second set-up does nothing and says so: the binding and libraries are left as they were",
  ignore: builtPackage() === null,
  async fn() {
    const paths = packagePaths(builtPackage()!)!;
    const stamps = async () => {
      const files = [paths.binding];
      for await (const entry of Deno.readDir(paths.lib)) {
        files.push(`${paths.lib}/${entry.name}`);
      }
      const out: string[] = [];
      for (const file of files.sort()) {
        const info = await Deno.lstat(file);
        out.push(`${file} ${info.size} ${info.mtime?.getTime()}`);
      }
      return out;
    };
    const before = await stamps();
    const lines: string[] = [];
    const log = console.log;
    console.log = (line: string) => lines.push(line);
    try {
      assert.equal(await main(["tensorflow"]), 0);
    } finally {
      console.log = log;
    }
    assert.match(lines.join("\n"), /already done: .*nothing to do/);
    assert.match(lines.join("\n"), /tensorflow backend ready \(TensorFlow /);
    assert.deepEqual(await stamps(), before);
  },
});
