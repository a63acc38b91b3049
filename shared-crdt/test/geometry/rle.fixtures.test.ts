import { describe, expect, it } from "vitest";

import { decodeMask, encodeMask, isValidRleString, mergeRle, rleArea, rleToBbox } from "../../src/geometry/index.js";
import fixtures from "./fixtures/pycocotools-rle.json" with { type: "json" };
import { firstMismatch } from "./helpers.js";

interface FixtureCase {
  name: string;
  h: number;
  w: number;
  rows?: string[];
  rects?: number[][];
  counts: string;
  area: number;
  bbox: number[];
}

/** Rebuilds a fixture's row-major mask from its `rows` or `rects` description. */
function fixtureMask(c: FixtureCase): Uint8Array {
  const mask = new Uint8Array(c.h * c.w);
  if (c.rows !== undefined) {
    c.rows.forEach((row, y) => {
      for (let x = 0; x < row.length; x += 1) mask[y * c.w + x] = row[x] === "1" ? 1 : 0;
    });
    return mask;
  }
  for (const [r0 = 0, c0 = 0, r1 = 0, c1 = 0] of c.rects ?? []) {
    for (let y = r0; y < r1; y += 1) mask.fill(1, y * c.w + c0, y * c.w + c1);
  }
  return mask;
}

const cases: FixtureCase[] = fixtures.cases;

describe("RLE codec against pycocotools ground truth", () => {
  it("covers the agreed edge cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(10);
    expect(cases.some((c) => c.h === 1 && c.w === 1)).toBe(true);
    expect(cases.some((c) => c.h * c.w > 2 ** 15 && c.area > 0)).toBe(true);
  });

  for (const c of cases) {
    describe(c.name, () => {
      const mask = fixtureMask(c);

      it("encodes to pycocotools' counts string byte for byte", () => {
        expect(encodeMask(mask, c.h, c.w)).toEqual({ size: [c.h, c.w], counts: c.counts });
      });

      it("decodes pycocotools' string back to the mask", () => {
        const decoded = decodeMask({ size: [c.h, c.w], counts: c.counts });
        expect(decoded.length).toBe(c.h * c.w);
        expect(firstMismatch(decoded, mask)).toBe(-1);
      });

      it("computes pycocotools' area and toBbox", () => {
        const rle = { size: [c.h, c.w], counts: c.counts };
        expect(rleArea(rle)).toBe(c.area);
        expect(rleToBbox(rle)).toEqual(c.bbox);
        expect(isValidRleString(c.counts, c.h, c.w)).toBe(true);
      });
    });
  }

  for (const m of fixtures.merges) {
    it(`merges ${m.name} like pycocotools.mask.merge`, () => {
      const a = { size: [m.h, m.w], counts: m.a };
      const b = { size: [m.h, m.w], counts: m.b };
      expect(mergeRle(a, b, "union").counts).toBe(m.union);
      expect(mergeRle(a, b, "intersection").counts).toBe(m.intersection);
    });
  }
});
