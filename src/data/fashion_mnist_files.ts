/**
 * Fashion-MNIST's files on disk: the download into a data folder and the
 * check of the four files' headers, each printing what it found and returning
 * an exit status.
 */
import {
  FASHION_MNIST_URL,
  fashionMnistCandidates,
  loadFashionMnist,
} from "./fashion_mnist.ts";
import { downloadFile } from "./download.ts";

/** Checks Fashion-MNIST's four files in `dataDir`; 0 when they read. */
export async function verifyFashionMnistFiles(
  dataDir: string,
): Promise<number> {
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

/** Downloads Fashion-MNIST's four files into `dataDir`. */
export async function downloadFashionMnist(dataDir: string): Promise<number> {
  await Deno.mkdir(dataDir, { recursive: true });
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
  return await verifyFashionMnistFiles(dataDir);
}
