/**
 * Smaller images for machines without a GPU: each image is averaged over
 * `factor × factor` blocks, so a 32-pixel CIFAR-10 image becomes a 16-pixel one
 * with a quarter of the convolution work. The normalization constants stay
 * those of the full-size training set: block averaging keeps a channel's mean,
 * and a fixed affine map keeps runs comparable across sides.
 */
import type { ImageDataset } from "./dataset.ts";

/**
 * The data set at `side × side` pixels (block averages, rounded to the nearest
 * byte); the same object when `side` is null or the native side.
 */
export function withImageSide(
  dataset: ImageDataset,
  side: number | null | undefined,
): ImageDataset {
  if (side === null || side === undefined || side === dataset.height) {
    return dataset;
  }
  checkImageSide(side, dataset.height, dataset.width, dataset.name);
  const factor = dataset.height / side;
  const { channels, count } = dataset;
  const inRow = dataset.width * channels;
  const inSize = dataset.height * inRow;
  const outSize = side * side * channels;
  const images = new Uint8Array(count * outSize);
  const area = factor * factor;
  for (let n = 0; n < count; n++) {
    const inBase = n * inSize;
    const outBase = n * outSize;
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let dy = 0; dy < factor; dy++) {
            const row = inBase + (y * factor + dy) * inRow;
            for (let dx = 0; dx < factor; dx++) {
              sum += dataset.images[row + (x * factor + dx) * channels + c];
            }
          }
          images[outBase + (y * side + x) * channels + c] = Math.round(
            sum / area,
          );
        }
      }
    }
  }
  return { ...dataset, images, height: side, width: side };
}

/**
 * Throws a clear error unless `side` divides a square image's side
 * (the flag is named so the message says what to change).
 */
export function checkImageSide(
  side: number,
  height: number,
  width: number,
  name = "the data set",
): void {
  if (height !== width) {
    throw new Error(
      `--image-side needs square images; ${name} has ${height}×${width}`,
    );
  }
  if (!Number.isInteger(side) || side < 1 || height % side !== 0) {
    throw new Error(
      `--image-side must divide ${name}'s ${height}-pixel side (e.g. ${
        height / 2
      }), got ${side}`,
    );
  }
}

/**
 * The random-crop padding for images of `side` pixels: the reference pads its
 * 32-pixel images by 4, an eighth of the side.
 */
export function cropPaddingFor(side: number): number {
  return Math.round(side / 8);
}
