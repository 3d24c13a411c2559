/**
 * JPEG decoding and encoding through libjpeg-turbo's TurboJPEG library
 * (Debian's `libturbojpeg0`), called with Deno's FFI: native, SIMD, and
 * nothing downloaded at install time. Decoding gives 8-bit RGB in HWC order
 * whatever the file holds: YCbCr and grayscale are converted by the library,
 * CMYK (and YCCK) files, which ImageNet has, are decoded to CMYK and converted
 * as PIL converts them (Adobe's inverted CMYK: R = C·K / 255).
 */

/** TurboJPEG's pixel formats used here. */
const PIXEL_RGB = 0;
const PIXEL_GRAY = 6;
const PIXEL_CMYK = 11;
/** TurboJPEG's colorspaces. */
const COLORSPACE_CMYK = 3;
const COLORSPACE_YCCK = 4;
/** TurboJPEG's chroma subsampling options used here. */
const SUBSAMPLING = { "420": 2, gray: 3 } as const;
/** tjGetErrorCode: a warning (the image decoded, perhaps partly). */
const ERROR_WARNING = 0;

const SYMBOLS = {
  tjInitDecompress: { parameters: [], result: "pointer" },
  tjInitCompress: { parameters: [], result: "pointer" },
  tjDestroy: { parameters: ["pointer"], result: "i32" },
  tjDecompressHeader3: {
    parameters: [
      "pointer",
      "buffer",
      "u64",
      "buffer",
      "buffer",
      "buffer",
      "buffer",
    ],
    result: "i32",
  },
  tjDecompress2: {
    parameters: [
      "pointer",
      "buffer",
      "u64",
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
    ],
    result: "i32",
  },
  tjCompress2: {
    parameters: [
      "pointer",
      "buffer",
      "i32",
      "i32",
      "i32",
      "i32",
      "buffer",
      "buffer",
      "i32",
      "i32",
      "i32",
    ],
    result: "i32",
  },
  tjFree: { parameters: ["pointer"], result: "void" },
  tjGetErrorStr2: { parameters: ["pointer"], result: "pointer" },
  tjGetErrorCode: { parameters: ["pointer"], result: "i32" },
} as const;

/** The library's file names, most specific first. */
const LIBRARY_NAMES = [
  "libturbojpeg.so.0",
  "libturbojpeg.so",
  "libturbojpeg.dylib",
  "turbojpeg.dll",
];

/** What to do when the library is missing, for error messages. */
export const TURBOJPEG_INSTALL_HINT =
  "install libjpeg-turbo's TurboJPEG library (Debian/Ubuntu: apt-get install libturbojpeg0; macOS: brew install jpeg-turbo)";

type Library = Deno.DynamicLibrary<typeof SYMBOLS>;
let library: Library | undefined;

function open(): Library {
  if (library) return library;
  const reasons: string[] = [];
  for (const name of LIBRARY_NAMES) {
    try {
      library = Deno.dlopen(name, SYMBOLS);
      return library;
    } catch (error) {
      reasons.push(`${name}: ${(error as Error).message.split("\n")[0]}`);
    }
  }
  throw new Error(
    `JPEG decoding needs TurboJPEG, which did not load (${
      reasons[0]
    }); ${TURBOJPEG_INSTALL_HINT}`,
  );
}

/** Whether TurboJPEG loads here. */
export function turboJpegAvailable(): boolean {
  try {
    open();
    return true;
  } catch {
    return false;
  }
}

/** A decoded image: 8-bit RGB, HWC. */
export interface RgbImage {
  width: number;
  height: number;
  /** `height * width * 3` bytes. */
  pixels: Uint8Array;
}

/** A JPEG that could not be decoded; the message says why. */
export class JpegError extends Error {}

function errorText(lib: Library, handle: Deno.PointerValue): string {
  const text = lib.symbols.tjGetErrorStr2(handle);
  return text === null
    ? "unknown error"
    : new Deno.UnsafePointerView(text).getCString();
}

/** A decoder that keeps its TurboJPEG handle; `close` frees it. */
export class JpegDecoder {
  readonly #lib = open();
  #handle: Deno.PointerValue = this.#lib.symbols.tjInitDecompress();

  /**
   * Decodes a JPEG to RGB. A file the library cannot decode throws a
   * {@linkcode JpegError}; one it decodes with a warning (a truncated file, a
   * corrupt segment) also throws unless `acceptWarnings`.
   */
  decode(bytes: Uint8Array, acceptWarnings = false): RgbImage {
    const lib = this.#lib;
    // Width, height, subsampling and colorspace, each written by the library.
    const w = new Int32Array(1), h = new Int32Array(1);
    const sub = new Int32Array(1), cs = new Int32Array(1);
    if (
      lib.symbols.tjDecompressHeader3(
        this.#handle,
        bytes,
        BigInt(bytes.length),
        w,
        h,
        sub,
        cs,
      ) !== 0
    ) {
      throw new JpegError(
        `not a JPEG TurboJPEG can read: ${errorText(lib, this.#handle)}`,
      );
    }
    const [width, height] = [w[0], h[0]];
    const cmyk = cs[0] === COLORSPACE_CMYK || cs[0] === COLORSPACE_YCCK;
    const channels = cmyk ? 4 : 3;
    const out = new Uint8Array(width * height * channels);
    const status = lib.symbols.tjDecompress2(
      this.#handle,
      bytes,
      BigInt(bytes.length),
      out,
      width,
      0,
      height,
      cmyk ? PIXEL_CMYK : PIXEL_RGB,
      0,
    );
    if (status !== 0) {
      const warning =
        lib.symbols.tjGetErrorCode(this.#handle) === ERROR_WARNING;
      if (!warning || !acceptWarnings) {
        throw new JpegError(
          `${warning ? "damaged" : "cannot decode"}: ${
            errorText(lib, this.#handle)
          }`,
        );
      }
    }
    return { width, height, pixels: cmyk ? cmykToRgb(out) : out };
  }

  /** Frees the handle. */
  close(): void {
    if (this.#handle !== null) this.#lib.symbols.tjDestroy(this.#handle);
    this.#handle = null;
  }
}

/** Adobe's inverted CMYK to RGB, as PIL converts it: R = C·K / 255. */
function cmykToRgb(cmyk: Uint8Array): Uint8Array {
  const n = cmyk.length / 4;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const k = cmyk[4 * i + 3];
    for (let c = 0; c < 3; c++) {
      const v = cmyk[4 * i + c] * k;
      // PIL's MULDIV255: (v + 128 + ((v + 128) >> 8)) >> 8.
      rgb[3 * i + c] = (v + 128 + ((v + 128) >> 8)) >> 8;
    }
  }
  return rgb;
}

/** What {@linkcode encodeJpeg} writes. */
export interface JpegEncoding {
  /** `rgb` (3 bytes a pixel), `gray` (1) or `cmyk` (4, Adobe's inverted). */
  format: "rgb" | "gray" | "cmyk";
  /** 1-100 (default 90). */
  quality?: number;
}

/** Encodes an image to JPEG (for tests and tools). */
export function encodeJpeg(
  pixels: Uint8Array,
  width: number,
  height: number,
  encoding: JpegEncoding,
): Uint8Array {
  const lib = open();
  const handle = lib.symbols.tjInitCompress();
  try {
    const format = encoding.format === "gray"
      ? PIXEL_GRAY
      : encoding.format === "cmyk"
      ? PIXEL_CMYK
      : PIXEL_RGB;
    const subsampling = encoding.format === "gray"
      ? SUBSAMPLING.gray
      : SUBSAMPLING["420"];
    const outPointer = new BigUint64Array(1);
    const outSize = new BigUint64Array(1);
    const status = lib.symbols.tjCompress2(
      handle,
      pixels,
      width,
      0,
      height,
      format,
      new Uint8Array(outPointer.buffer),
      new Uint8Array(outSize.buffer),
      subsampling,
      encoding.quality ?? 90,
      0,
    );
    if (status !== 0) {
      throw new JpegError(`cannot encode: ${errorText(lib, handle)}`);
    }
    const pointer = Deno.UnsafePointer.create(outPointer[0]);
    const bytes = new Uint8Array(
      Deno.UnsafePointerView.getArrayBuffer(pointer!, Number(outSize[0])),
    ).slice();
    lib.symbols.tjFree(pointer);
    return bytes;
  } finally {
    lib.symbols.tjDestroy(handle);
  }
}
