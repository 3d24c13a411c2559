/** Reading a parity fixture's tensors and metadata, with errors that name the field. */
import type { NamedArray, SafetensorsFile } from "../io/safetensors.ts";

/** The tensor `key` of a fixture; throws naming it when absent. */
export function fixtureTensor(file: SafetensorsFile, key: string): NamedArray {
  const value = file.tensors.get(key);
  if (!value) throw new Error(`the fixture has no tensor "${key}"`);
  return value;
}

/** The number in `__metadata__[key]`; throws naming it when absent or not numeric. */
export function metadataNumber(
  meta: Record<string, string>,
  key: string,
): number {
  const value = Number(meta[key]);
  if (meta[key] === undefined || !Number.isFinite(value)) {
    throw new Error(`the fixture's __metadata__ lacks a numeric "${key}"`);
  }
  return value;
}
