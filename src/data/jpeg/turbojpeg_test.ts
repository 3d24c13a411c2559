import assert from "node:assert/strict";
import {
  encodeJpeg,
  JpegDecoder,
  JpegError,
  turboJpegAvailable,
} from "./turbojpeg.ts";

const ignore = !turboJpegAvailable();
if (ignore) {
  console.warn("TurboJPEG tests skipped: apt-get install libturbojpeg0");
}

/** A smooth test image: a gradient in each channel. */
function gradient(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      out.set([x * 3, y * 4, 100 + ((x + y) % 50)], (y * width + x) * 3);
    }
  }
  return out;
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i] - b[i]);
  return sum / a.length;
}

Deno.test({
  name: "RGB, grayscale and CMYK JPEGs decode to RGB near what was encoded",
  ignore,
  fn() {
    const decoder = new JpegDecoder();
    try {
      const [w, h] = [60, 44];
      const rgb = gradient(w, h);
      const back = decoder.decode(
        encodeJpeg(rgb, w, h, { format: "rgb", quality: 95 }),
      );
      assert.deepEqual([back.width, back.height], [w, h]);
      assert.ok(meanAbsDiff(back.pixels, rgb) < 3);
      // Grayscale: the three channels equal the grey level.
      const grey = new Uint8Array(w * h).map((_, i) => (i % w) * 4);
      const g = decoder.decode(
        encodeJpeg(grey, w, h, { format: "gray", quality: 95 }),
      );
      const expanded = new Uint8Array(w * h * 3).map((_, i) =>
        grey[Math.floor(i / 3)]
      );
      assert.ok(meanAbsDiff(g.pixels, expanded) < 3);
      for (let i = 0; i < w * h; i++) {
        assert.equal(g.pixels[3 * i], g.pixels[3 * i + 1]);
        assert.equal(g.pixels[3 * i], g.pixels[3 * i + 2]);
      }
      // CMYK (Adobe's inverted): R = C·K / 255, as PIL converts it.
      const cmyk = new Uint8Array(w * h * 4);
      for (let i = 0; i < w * h; i++) cmyk.set([200, 150, 100, 220], 4 * i);
      const c = decoder.decode(
        encodeJpeg(cmyk, w, h, { format: "cmyk", quality: 100 }),
      );
      const expected = [200, 150, 100].map((v) => Math.round((v * 220) / 255));
      for (let ch = 0; ch < 3; ch++) {
        assert.ok(Math.abs(c.pixels[ch] - expected[ch]) <= 2, `${c.pixels}`);
      }
    } finally {
      decoder.close();
    }
  },
});

Deno.test({
  name:
    "a truncated JPEG is damaged, a file that is not one is refused, both clearly",
  ignore,
  fn() {
    const decoder = new JpegDecoder();
    try {
      const whole = encodeJpeg(gradient(64, 64), 64, 64, { format: "rgb" });
      assert.throws(
        () => decoder.decode(whole.slice(0, Math.floor(whole.length * 0.7))),
        (e) =>
          e instanceof JpegError && /damaged: Premature end/.test(e.message),
      );
      // With warnings accepted it decodes (the missing rows grey).
      const partial = decoder.decode(
        whole.slice(0, Math.floor(whole.length * 0.7)),
        true,
      );
      assert.equal(partial.width, 64);
      assert.throws(
        () => decoder.decode(new TextEncoder().encode("hello")),
        (e) => e instanceof JpegError && /not a JPEG/.test(e.message),
      );
      // The decoder still works after a failure.
      assert.equal(decoder.decode(whole).height, 64);
    } finally {
      decoder.close();
    }
  },
});
