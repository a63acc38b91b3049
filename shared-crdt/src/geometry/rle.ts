import { GeometryError } from "./GeometryError.js";

/**
 * A mask as Pixano stores it in the `masks` table (`CompressedRLE`): COCO / pycocotools
 * compressed RLE. `size` is `[height, width]`; `counts` is pycocotools' ASCII run string over
 * the mask read in column-major (Fortran) order, starting with a run of zeros.
 */
export interface CompressedRle {
  size: [number, number];
  counts: string;
}

/**
 * What the codec accepts as input: anything shaped like a stored mask row. `size` is a plain
 * array because that is what Arrow / JSON hand back; it is checked to hold two integers.
 */
export interface RleLike {
  readonly size: readonly number[];
  readonly counts: string;
}

/** pycocotools stores run lengths as C `uint`; anything larger cannot come from a real dataset. */
const MAX_RUN = 0xffffffff;
/** 10 chunks × 5 bits = 50 bits: far beyond any delta between two 32-bit runs, below 2^53. */
const MAX_CHUNKS = 10;
/** Characters are 48 + a 6-bit value, i.e. `0` (48) to `o` (111). */
const CHAR_BASE = 48;

/**
 * Pixano's representation of "no mask": `size [0, 0]`, `counts ""`. A fresh object each call,
 * so callers may mutate the result.
 */
export function emptyRle(): CompressedRle {
  return { size: [0, 0], counts: "" };
}

function isDimension(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/**
 * Checks and unpacks a mask `size`. Exported for the other geometry modules; throws
 * `invalid-dimensions` unless `size` is two non-negative integers.
 */
export function readRleSize(size: readonly number[]): [number, number] {
  const [h, w] = size;
  if (size.length !== 2 || h === undefined || w === undefined || !isDimension(h) || !isDimension(w)) {
    throw new GeometryError(
      "invalid-dimensions",
      `RLE size must be [height, width] integers >= 0, got ${JSON.stringify(size)}`,
    );
  }
  return [h, w];
}

function checkDimensions(height: number, width: number): void {
  if (!isDimension(height) || !isDimension(width)) {
    throw new GeometryError(
      "invalid-dimensions",
      `mask height and width must be integers >= 0, got ${height}x${width}`,
    );
  }
}

/**
 * Decodes a pycocotools counts string into run lengths (pycocotools' `rleFrString`).
 *
 * Each number is little-endian 5-bit chunks, each written as `48 + chunk` with bit 0x20 meaning
 * "more chunks follow"; bit 0x10 of the last chunk is the sign. From the fourth number on
 * (index > 2) the value is a delta against the run two places back, which is why masks with
 * similar column runs compress well. Throws `malformed-rle` on a character outside `0`..`o`, a
 * truncated number, or a run that is negative or above 2^32 − 1 (pycocotools' `uint`).
 */
export function countsToRuns(counts: string): number[] {
  const runs: number[] = [];
  let p = 0;
  while (p < counts.length) {
    let value = 0;
    let scale = 1;
    let chunk = 0;
    let chunks = 0;
    let more = true;
    while (more) {
      if (p >= counts.length) {
        throw new GeometryError("malformed-rle", `RLE counts string ends inside a number (run ${runs.length})`);
      }
      chunk = counts.charCodeAt(p) - CHAR_BASE;
      if (chunk < 0 || chunk > 63) {
        throw new GeometryError(
          "malformed-rle",
          `RLE counts has invalid character ${JSON.stringify(counts[p])} at offset ${p}`,
        );
      }
      value += (chunk & 0x1f) * scale;
      scale *= 32;
      more = (chunk & 0x20) !== 0;
      p += 1;
      chunks += 1;
      if (more && chunks >= MAX_CHUNKS) {
        throw new GeometryError("malformed-rle", `RLE counts number too long at offset ${p}`);
      }
    }
    // Sign-extend: the top bit of the last chunk marks a negative two's-complement value.
    if ((chunk & 0x10) !== 0) value -= scale;
    const m = runs.length;
    if (m > 2) value += runs[m - 2] ?? 0;
    if (value < 0 || value > MAX_RUN) {
      throw new GeometryError("malformed-rle", `RLE run ${m} decodes to ${value}, outside [0, 2^32)`);
    }
    runs.push(value);
  }
  return runs;
}

/**
 * Encodes run lengths into the pycocotools counts string (`rleToString`), byte for byte.
 * Throws `malformed-rle` if a run is not an integer in [0, 2^32).
 */
export function runsToCounts(runs: readonly number[]): string {
  const codes: number[] = [];
  for (let i = 0; i < runs.length; i += 1) {
    const run = runs[i] ?? 0;
    if (!Number.isInteger(run) || run < 0 || run > MAX_RUN) {
      throw new GeometryError("malformed-rle", `run ${i} must be an integer in [0, 2^32), got ${run}`);
    }
    let x = i > 2 ? run - (runs[i - 2] ?? 0) : run;
    let more = true;
    while (more) {
      // Arithmetic shift by 5 without 32-bit truncation: floor division keeps the sign.
      let c = ((x % 32) + 32) % 32;
      x = Math.floor(x / 32);
      more = (c & 0x10) !== 0 ? x !== -1 : x !== 0;
      if (more) c |= 0x20;
      codes.push(c + CHAR_BASE);
    }
  }
  let out = "";
  const step = 8192; // keep String.fromCharCode's argument list small
  for (let i = 0; i < codes.length; i += step) {
    out += String.fromCharCode(...codes.slice(i, i + step));
  }
  return out;
}

/**
 * Parses `rle.counts` and checks the runs cover exactly `height × width` pixels. The shared
 * entry point of every operation that reads a stored mask. Throws `invalid-dimensions`,
 * `malformed-rle` or `rle-size-mismatch`.
 */
export function rleRuns(rle: RleLike): number[] {
  const [h, w] = readRleSize(rle.size);
  const runs = countsToRuns(rle.counts);
  let total = 0;
  for (const run of runs) total += run;
  if (total !== h * w) {
    throw new GeometryError("rle-size-mismatch", `RLE runs cover ${total} pixels, size ${h}x${w} has ${h * w}`);
  }
  return runs;
}

/**
 * True when `counts` is a well-formed pycocotools string whose runs cover exactly
 * `height × width` pixels. Never throws: this is the predicate schema validators call on
 * untrusted rows. `("", 0, 0)`, Pixano's empty mask, is valid.
 */
export function isValidRleString(counts: string, height: number, width: number): boolean {
  try {
    rleRuns({ size: [height, width], counts });
    return true;
  } catch (error) {
    // Every failure of rleRuns is a GeometryError describing invalid input: that is the answer.
    if (error instanceof GeometryError) return false;
    throw error;
  }
}

/**
 * Run lengths of a row-major mask read in column-major order, first run = zeros (possibly 0).
 * Exported for the rasteriser and merge, which build runs without an intermediate string.
 */
export function maskToRuns(mask: Uint8Array, height: number, width: number): number[] {
  checkDimensions(height, width);
  if (mask.length !== height * width) {
    throw new GeometryError(
      "mask-size-mismatch",
      `mask has ${mask.length} values, ${height}x${width} needs ${height * width}`,
    );
  }
  const runs: number[] = [];
  let current = 0;
  let length = 0;
  for (let x = 0; x < width; x += 1) {
    for (let i = x; i < mask.length; i += width) {
      const v = mask[i] === 0 ? 0 : 1;
      if (v !== current) {
        runs.push(length);
        length = 0;
        current = v;
      }
      length += 1;
    }
  }
  runs.push(length);
  return runs;
}

/**
 * Encodes a row-major mask (`height × width`, the natural image layout, nonzero = on) into
 * Pixano's stored form, identical to `pycocotools.mask.encode(np.asfortranarray(mask))`.
 * A mask with no pixels is stored as Pixano's empty mask, `size [0, 0]`, `counts ""`.
 */
export function encodeMask(mask: Uint8Array, height: number, width: number): CompressedRle {
  const runs = maskToRuns(mask, height, width);
  if (height * width === 0) return emptyRle();
  return { size: [height, width], counts: runsToCounts(runs) };
}

/**
 * Decodes a stored mask into a row-major `Uint8Array` of 0/1 (length `height × width`), the
 * inverse of `encodeMask`. Validates the string against `size` first.
 */
export function decodeMask(rle: RleLike): Uint8Array {
  const [h, w] = readRleSize(rle.size);
  const runs = rleRuns(rle);
  const out = new Uint8Array(h * w);
  if (out.length === 0) return out;
  let y = 0;
  let x = 0;
  for (let r = 0; r < runs.length; r += 1) {
    const run = runs[r] ?? 0;
    if (r % 2 === 0) {
      // Zeros: only advance the column-major cursor.
      const pos = x * h + y + run;
      y = pos % h;
      x = (pos - y) / h;
      continue;
    }
    for (let k = 0; k < run; k += 1) {
      out[y * w + x] = 1;
      y += 1;
      if (y === h) {
        y = 0;
        x += 1;
      }
    }
  }
  return out;
}

/** Number of on pixels (pycocotools `area`): the sum of the odd-indexed runs. */
export function rleArea(rle: RleLike): number {
  const runs = rleRuns(rle);
  let area = 0;
  for (let j = 1; j < runs.length; j += 2) area += runs[j] ?? 0;
  return area;
}

/**
 * Tight bounding box `[x, y, width, height]` in pixels, with pycocotools `toBbox` semantics:
 * all zeros for an empty mask, and a run crossing a column boundary widens the box to the
 * full image height. Reproduced operation for operation (including 32-bit unsigned
 * arithmetic) so boxes derived from masks match Python exports.
 */
export function rleToBbox(rle: RleLike): [number, number, number, number] {
  const [h, w] = readRleSize(rle.size);
  const runs = rleRuns(rle);
  const m = Math.floor(runs.length / 2) * 2;
  if (m === 0) return [0, 0, 0, 0];
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let xp = 0;
  let cc = 0;
  for (let j = 0; j < m; j += 1) {
    cc += runs[j] ?? 0;
    const t = (cc - (j % 2)) >>> 0;
    const y = t % h;
    const x = (t - y) / h;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      ys = 0;
      ye = h - 1;
    }
    xs = Math.min(xs, x);
    xe = Math.max(xe, x);
    ys = Math.min(ys, y);
    ye = Math.max(ye, y);
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}
