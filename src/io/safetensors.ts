/**
 * Reading and writing safetensors files (float32 only): an 8-byte little-endian
 * header length, a JSON header of `name -> {dtype, shape, data_offsets}` plus
 * `__metadata__` (string values), then the raw little-endian data.
 */

/** One named float32 array with its shape. */
export interface NamedArray {
  /** Shape in the file's own layout. */
  shape: number[];
  /** The values, row-major. */
  data: Float32Array;
}

/** A parsed safetensors file. */
export interface SafetensorsFile {
  /** The tensors by name, in file order. */
  tensors: Map<string, NamedArray>;
  /** `__metadata__` (all values are strings). */
  metadata: Record<string, string>;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Parses safetensors bytes; `source` names the file in error messages. */
export function parseSafetensors(
  bytes: Uint8Array,
  source = "safetensors data",
): SafetensorsFile {
  if (bytes.byteLength < 8) {
    throw new Error(`${source}: too short to be a safetensors file`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > bytes.byteLength - 8) {
    throw new Error(
      `${source}: header length ${headerLength} exceeds the file size ${bytes.byteLength}; the file is truncated or not safetensors`,
    );
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)),
    );
  } catch (error) {
    throw new Error(`${source}: the header is not valid JSON (${error})`);
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, NamedArray>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = value as Record<string, string>;
      continue;
    }
    const entry = value as HeaderEntry;
    if (entry.dtype !== "F32") {
      throw new Error(
        `${source}: tensor ${name} has dtype ${entry.dtype}; only F32 is supported`,
      );
    }
    const [begin, end] = entry.data_offsets;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * 4 || dataStart + end > bytes.byteLength) {
      throw new Error(
        `${source}: tensor ${name} has offsets [${begin}, ${end}] that do not match its shape [${entry.shape}] or the file size`,
      );
    }
    const data = new Float32Array(count);
    const tensorView = new DataView(
      bytes.buffer,
      bytes.byteOffset + dataStart + begin,
      count * 4,
    );
    for (let i = 0; i < count; i++) {
      data[i] = tensorView.getFloat32(i * 4, true);
    }
    tensors.set(name, { shape: entry.shape, data });
  }
  return { tensors, metadata };
}

/** Reads and parses a safetensors file. */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    throw new Error(`cannot read ${path}: ${(error as Error).message}`);
  }
  return parseSafetensors(bytes, path);
}

/** Serialises named float32 arrays (and string metadata) as safetensors bytes. */
export function encodeSafetensors(
  tensors: Map<string, NamedArray>,
  metadata: Record<string, string> = {},
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, { shape, data }] of tensors) {
    header[name] = {
      dtype: "F32",
      shape,
      data_offsets: [offset, offset + data.length * 4],
    };
    offset += data.length * 4;
  }
  let headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const padding = (8 - (headerBytes.length % 8)) % 8;
  if (padding > 0) {
    headerBytes = new TextEncoder().encode(
      JSON.stringify(header) + " ".repeat(padding),
    );
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.length;
  for (const { data } of tensors.values()) {
    for (let i = 0; i < data.length; i++) {
      view.setFloat32(position + i * 4, data[i], true);
    }
    position += data.length * 4;
  }
  return out;
}
