import { describe, expect, it } from "vitest";

import {
  countsToRuns,
  decodeMask,
  emptyRle,
  encodeMask,
  isValidRleString,
  maskToRuns,
  rleArea,
  rleRuns,
  rleToBbox,
  runsToCounts,
} from "../../src/geometry/index.js";
import { firstMismatch, makeRng, randomMask, reasonOf } from "./helpers.js";

describe("counts string codec", () => {
  it("writes small runs as one character each, 48 + value", () => {
    expect(runsToCounts([0, 1])).toBe("01");
    expect(runsToCounts([5])).toBe("5");
    expect(runsToCounts([15])).toBe("?");
  });

  it("splits values >= 16 into 5-bit chunks with the 0x20 continuation bit", () => {
    // 16 = 0b10000: the low chunk has bit 0x10 set, so a sign-clearing 0 chunk must follow.
    expect(runsToCounts([16])).toBe(String.fromCharCode(48 + 0x30, 48));
    expect(countsToRuns(runsToCounts([16]))).toEqual([16]);
  });

  it("delta-codes runs from index 3 against the run two places back, with negative deltas", () => {
    const runs = [3, 4, 5, 1, 10, 2];
    const counts = runsToCounts(runs);
    // index 3: 1 - 4 = -3 → one chunk 0b11101 (sign bit set) → 48 + 29.
    expect(counts.charCodeAt(3)).toBe(48 + 29);
    expect(countsToRuns(counts)).toEqual(runs);
  });

  it("round-trips runs up to 2^32 - 1", () => {
    const runs = [0, 4294967295, 1, 2 ** 31, 7, 2 ** 20];
    expect(countsToRuns(runsToCounts(runs))).toEqual(runs);
  });

  it("rejects characters outside '0'..'o', truncated numbers and negative runs", () => {
    expect(reasonOf(() => countsToRuns("0p"))).toBe("malformed-rle");
    expect(reasonOf(() => countsToRuns("0/"))).toBe("malformed-rle");
    expect(reasonOf(() => countsToRuns("P"))).toBe("malformed-rle"); // 0x20 set, nothing follows
    expect(reasonOf(() => countsToRuns("O"))).toBe("malformed-rle"); // decodes to -1
    expect(reasonOf(() => runsToCounts([1, -1]))).toBe("malformed-rle");
    expect(reasonOf(() => runsToCounts([1.5]))).toBe("malformed-rle");
  });
});

describe("isValidRleString", () => {
  it("accepts Pixano's empty mask and strings whose runs cover h*w", () => {
    expect(isValidRleString("", 0, 0)).toBe(true);
    expect(isValidRleString("d0", 5, 4)).toBe(true);
  });

  it("rejects wrong totals, bad characters and bad sizes without throwing", () => {
    expect(isValidRleString("d0", 5, 5)).toBe(false);
    expect(isValidRleString("", 2, 2)).toBe(false);
    expect(isValidRleString("d~", 5, 4)).toBe(false);
    expect(isValidRleString("d0", -5, -4)).toBe(false);
    expect(isValidRleString("d0", 2.5, 8)).toBe(false);
  });

  it("rleRuns reports the failure reason", () => {
    expect(reasonOf(() => rleRuns({ size: [2, 2], counts: "3" }))).toBe("rle-size-mismatch");
    expect(reasonOf(() => rleRuns({ size: [2], counts: "4" }))).toBe("invalid-dimensions");
  });
});

describe("mask encode / decode", () => {
  it("stores a zero-area mask as Pixano's empty mask", () => {
    expect(encodeMask(new Uint8Array(0), 0, 0)).toEqual(emptyRle());
    expect(encodeMask(new Uint8Array(0), 0, 7)).toEqual({ size: [0, 0], counts: "" });
    expect(decodeMask(emptyRle())).toEqual(new Uint8Array(0));
    expect(rleArea(emptyRle())).toBe(0);
    expect(rleToBbox(emptyRle())).toEqual([0, 0, 0, 0]);
  });

  it("keeps a real size for all-zero masks", () => {
    const rle = encodeMask(new Uint8Array(12), 3, 4);
    expect(rle).toEqual({ size: [3, 4], counts: "<" });
    expect(rleArea(rle)).toBe(0);
    expect(rleToBbox(rle)).toEqual([0, 0, 0, 0]);
  });

  it("reads the row-major input in column-major order", () => {
    // 2x3, on pixels at (row 0, col 1) and (row 1, col 1): column 1 is full.
    const mask = Uint8Array.from([0, 1, 0, 0, 1, 0]);
    expect(maskToRuns(mask, 2, 3)).toEqual([2, 2, 2]);
    // Nonzero values other than 1 count as on.
    expect(maskToRuns(Uint8Array.from([0, 255, 0, 0, 7, 0]), 2, 3)).toEqual([2, 2, 2]);
  });

  it("rejects a buffer that does not match height x width", () => {
    expect(reasonOf(() => encodeMask(new Uint8Array(5), 2, 3))).toBe("mask-size-mismatch");
    expect(reasonOf(() => encodeMask(new Uint8Array(6), 2.5, 3))).toBe("invalid-dimensions");
  });

  it("property: decode(encode(mask)) === mask on seeded random masks", () => {
    const rng = makeRng(0xc0c0);
    for (let trial = 0; trial < 200; trial += 1) {
      const h = rng.int(1, 40);
      const w = rng.int(1, 40);
      const mask = randomMask(rng, h, w, rng.next(), trial % 2 === 0);
      const rle = encodeMask(mask, h, w);
      expect(rle.size).toEqual([h, w]);
      expect(isValidRleString(rle.counts, h, w)).toBe(true);
      expect(firstMismatch(decodeMask(rle), mask)).toBe(-1);
      expect(runsToCounts(countsToRuns(rle.counts))).toBe(rle.counts);
      let on = 0;
      for (const v of mask) on += v;
      expect(rleArea(rle)).toBe(on);
    }
  });

  it("property: rleToBbox is the tight box of the on pixels (single-column runs)", () => {
    const rng = makeRng(77);
    for (let trial = 0; trial < 100; trial += 1) {
      const h = rng.int(1, 20);
      const w = rng.int(1, 20);
      // A filled rectangle that does not span whole columns unless h is covered.
      const x0 = rng.int(0, w - 1);
      const y0 = rng.int(0, h - 1);
      const x1 = rng.int(x0, w - 1);
      const y1 = rng.int(y0, h - 1);
      const mask = new Uint8Array(h * w);
      for (let y = y0; y <= y1; y += 1) mask.fill(1, y * w + x0, y * w + x1 + 1);
      expect(rleToBbox(encodeMask(mask, h, w))).toEqual([x0, y0, x1 - x0 + 1, y1 - y0 + 1]);
    }
  });

  it("follows pycocotools toBbox: a run crossing columns widens the box to full height", () => {
    // 3x2: on at (row 2, col 0) and (row 0, col 1) — one column-major run of 2.
    const mask = Uint8Array.from([0, 1, 0, 0, 1, 0]);
    expect(rleToBbox(encodeMask(mask, 3, 2))).toEqual([0, 0, 2, 3]);
  });
});
