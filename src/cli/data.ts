/**
 * `deno task data cifar10|fashion-mnist [--data-dir DIR]` downloads a data set
 * into the data folder; `deno task data verify cifar10|fashion-mnist
 * [--data-dir DIR]` checks one and names every missing, truncated or corrupt
 * file. The data folder is `--data-dir`, else `PCDARTS_DATA_DIR`, else `./data`;
 * for CIFAR-10 it may be the `cifar-10-batches-bin` folder itself or its parent.
 */
import { resolveDataDir } from "../data/data_dir.ts";
import {
  CIFAR10_ARCHIVE,
  CIFAR10_FILES,
  findCifar10Folder,
  verifyCifar10,
} from "../data/cifar10.ts";
import {
  FASHION_MNIST_URL,
  fashionMnistCandidates,
  loadFashionMnist,
} from "../data/fashion_mnist.ts";
import { downloadFile, extractInto } from "../data/download.ts";
import { type CommandSpec, parseCommand, usageOf } from "./command_spec.ts";

/** The data command's flags. */
export const DATA_COMMAND = {
  name: "data",
  synopsis: [
    "cifar10|fashion-mnist [--data-dir DIR]",
    "verify cifar10|fashion-mnist [--data-dir DIR]",
  ],
  about:
    "The first downloads a data set, the second checks its files' md5 sums.",
  positionals: true,
  flags: {
    "data-dir": {
      type: "string",
      value: "DIR",
      help: "data folder (else PCDARTS_DATA_DIR, else ./data)",
    },
  },
} as const satisfies CommandSpec;

const USAGE = usageOf(DATA_COMMAND);

const DATASETS = ["cifar10", "fashion-mnist"];

async function verify(dataset: string, dataDir: string): Promise<number> {
  if (dataset === "cifar10") {
    const folder = findCifar10Folder(dataDir);
    if (!folder) {
      console.error(
        `verify cifar10: no ${CIFAR10_ARCHIVE.folder}/ in ${dataDir}; run \`deno task data cifar10\` or point --data-dir at the folder that holds it`,
      );
      return 1;
    }
    const problems = await verifyCifar10(folder);
    for (const p of problems) console.error(`${p.path}: ${p.problem}`);
    if (problems.length > 0) {
      console.error(
        `verify cifar10: ${problems.length} of ${CIFAR10_FILES.length} files are bad; download again with \`deno task data cifar10\``,
      );
      return 1;
    }
    console.log(
      `verify cifar10: ok, ${CIFAR10_FILES.length} files in ${folder} have the right sizes and md5s`,
    );
    return 0;
  }
  try {
    const train = await loadFashionMnist(dataDir, "train");
    const test = await loadFashionMnist(dataDir, "test");
    console.log(
      `verify fashion-mnist: ok, ${train.count} training and ${test.count} test images with valid headers`,
    );
    return 0;
  } catch (error) {
    console.error(`verify fashion-mnist: ${(error as Error).message}`);
    return 1;
  }
}

async function download(dataset: string, dataDir: string): Promise<number> {
  await Deno.mkdir(dataDir, { recursive: true });
  if (dataset === "cifar10") {
    const existing = findCifar10Folder(dataDir);
    if (existing && (await verifyCifar10(existing)).length === 0) {
      console.log(`cifar10: already present and verified in ${existing}`);
      return 0;
    }
    const archive = `${dataDir}/cifar-10-binary.tar.gz`;
    try {
      await downloadFile(CIFAR10_ARCHIVE.url, archive, {
        md5: CIFAR10_ARCHIVE.md5,
      });
    } catch (error) {
      console.error(
        `${
          (error as Error).message
        }\nWithout network access, fetch ${CIFAR10_ARCHIVE.url} (md5 ${CIFAR10_ARCHIVE.md5}) elsewhere and unpack it so that ${dataDir}/${CIFAR10_ARCHIVE.folder}/data_batch_1.bin exists, or point PCDARTS_DATA_DIR / --data-dir at a folder that holds ${CIFAR10_ARCHIVE.folder}/.`,
      );
      return 1;
    }
    const folder = await extractInto(archive, dataDir, CIFAR10_ARCHIVE.folder);
    await Deno.remove(archive);
    return await verify("cifar10", folder);
  }
  const folder = fashionMnistCandidates(dataDir)[0];
  await Deno.mkdir(folder, { recursive: true });
  for (
    const name of [
      "train-images-idx3-ubyte.gz",
      "train-labels-idx1-ubyte.gz",
      "t10k-images-idx3-ubyte.gz",
      "t10k-labels-idx1-ubyte.gz",
    ]
  ) {
    try {
      await downloadFile(`${FASHION_MNIST_URL}/${name}`, `${folder}/${name}`);
    } catch (error) {
      console.error(
        `${
          (error as Error).message
        }\nWithout network access, install Debian's dataset-fashion-mnist package (files in /usr/share/datasets/fashion-mnist/) or copy the four .gz files into ${folder}/.`,
      );
      return 1;
    }
  }
  return await verify("fashion-mnist", dataDir);
}

/** Runs the data command; returns the exit status. */
export async function main(args: string[]): Promise<number> {
  const parsed = parseCommand(DATA_COMMAND, args);
  if (typeof parsed === "number") return parsed;
  const [first, second] = parsed.positionals;
  const verifying = first === "verify";
  const dataset = verifying ? second : first;
  if (!dataset || !DATASETS.includes(dataset)) {
    console.error(
      `unknown or missing data set "${dataset ?? ""}"; choose ${
        DATASETS.join(" or ")
      }\n${USAGE}`,
    );
    return 2;
  }
  const dataDir = resolveDataDir(parsed.values["data-dir"]);
  return verifying
    ? await verify(dataset, dataDir)
    : await download(dataset, dataDir);
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
