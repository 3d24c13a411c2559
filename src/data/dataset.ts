/** The in-memory form every data set takes: uint8 HWC images and labels. */

/** Images and labels held in memory. */
export interface ImageDataset {
  /** Data set name (`cifar10`, `fashion-mnist`). */
  name: string;
  /** Images, each `height * width * channels` bytes in HWC order. */
  images: Uint8Array;
  /** Class index per image. */
  labels: Uint8Array;
  /** Number of images. */
  count: number;
  /** Image height. */
  height: number;
  /** Image width. */
  width: number;
  /** Channels (3 for RGB, 1 for grey). */
  channels: number;
  /** Number of classes. */
  numClasses: number;
  /** Per-channel mean of the training set (pixel values in [0, 1]). */
  mean: number[];
  /** Per-channel standard deviation of the training set. */
  std: number[];
  /** Class names, when known. */
  classNames: string[];
}

/** Bytes per image. */
export function imageSize(dataset: ImageDataset): number {
  return dataset.height * dataset.width * dataset.channels;
}

/** A view of some images of a data set, by index. */
export function selectImages(
  dataset: ImageDataset,
  indices: ArrayLike<number>,
): ImageDataset {
  const size = imageSize(dataset);
  const images = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const j = indices[i];
    images.set(dataset.images.subarray(j * size, (j + 1) * size), i * size);
    labels[i] = dataset.labels[j];
  }
  return { ...dataset, images, labels, count: indices.length };
}
