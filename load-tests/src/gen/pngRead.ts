import { inflateSync } from "node:zlib";

/**
 * Reads an 8-bit, non-interlaced PNG (grey, grey + alpha, RGB or RGBA) into RGB pixels, and
 * resizes them by area averaging — what the benchmarks need to feed a photo to the inference
 * worker (load-tests has no image library). Anything else is refused with a clear error.
 */
export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** width × height × 3 bytes, row-major RGB. */
  readonly rgb: Uint8Array;
}

class PngReadError extends Error {
  override name = "PngReadError";
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Channels per PNG colour type (0 grey, 2 RGB, 4 grey + alpha, 6 RGBA). */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 4: 2, 6: 4 };

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export function readPng(file: Buffer): RgbImage {
  if (file.length < 8 || !file.subarray(0, 8).equals(SIGNATURE)) throw new PngReadError("not a PNG file");
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  for (let at = 8; at + 8 <= file.length;) {
    const len = file.readUInt32BE(at);
    const type = file.toString("ascii", at + 4, at + 8);
    const data = file.subarray(at + 8, at + 8 + len);
    if (type === "IHDR") {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      const [depth, colour, , , interlace] = [data[8], data[9], data[10], data[11], data[12]];
      const ch = CHANNELS[colour ?? -1];
      if (depth !== 8 || ch === undefined || interlace !== 0)
        throw new PngReadError(`unsupported PNG (bit depth ${depth}, colour type ${colour}, interlace ${interlace})`);
      channels = ch;
    } else if (type === "IDAT") idat.push(data);
    else if (type === "IEND") break;
    at += 12 + len;
  }
  if (!(width > 0 && height > 0 && channels > 0)) throw new PngReadError("PNG without a header");
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) throw new PngReadError("truncated PNG data");
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    for (let i = 0; i < stride; i++) {
      const x = raw[src + i] ?? 0;
      const a = i >= channels ? (pixels[row + i - channels] ?? 0) : 0;
      const b = y > 0 ? (pixels[row - stride + i] ?? 0) : 0;
      const c = y > 0 && i >= channels ? (pixels[row - stride + i - channels] ?? 0) : 0;
      let v: number;
      if (filter === 0) v = x;
      else if (filter === 1) v = x + a;
      else if (filter === 2) v = x + b;
      else if (filter === 3) v = x + ((a + b) >> 1);
      else if (filter === 4) v = x + paeth(a, b, c);
      else throw new PngReadError(`unknown PNG row filter ${filter}`);
      pixels[row + i] = v & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let p = 0; p < width * height; p++)
    for (let k = 0; k < 3; k++) rgb[p * 3 + k] = pixels[p * channels + (channels >= 3 ? k : 0)] ?? 0;
  return { width, height, rgb };
}

/** The image resized so its longest side is `side` (as the server does before a detection), by area averaging. */
export function fitInside(image: RgbImage, side: number): RgbImage {
  const scale = side / Math.max(image.width, image.height);
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const y0 = Math.floor((y * image.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor(((y + 1) * image.height) / height));
    for (let x = 0; x < width; x++) {
      const x0 = Math.floor((x * image.width) / width);
      const x1 = Math.max(x0 + 1, Math.floor(((x + 1) * image.width) / width));
      for (let k = 0; k < 3; k++) {
        let sum = 0;
        for (let sy = y0; sy < y1; sy++)
          for (let sx = x0; sx < x1; sx++) sum += image.rgb[(sy * image.width + sx) * 3 + k] ?? 0;
        rgb[(y * width + x) * 3 + k] = Math.round(sum / ((y1 - y0) * (x1 - x0)));
      }
    }
  }
  return { width, height, rgb };
}
