import { describe, expect, it } from "vitest";

import {
  decodeMask,
  GeometryError,
  pointInMultiPath,
  polygonToMask,
  polygonToRle,
  rleArea,
} from "../../src/geometry/index.js";
import { firstMismatch, makeRng } from "./helpers.js";

function rows(mask: Uint8Array, width: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < mask.length; i += width) out.push(Array.from(mask.subarray(i, i + width)).join(""));
  return out;
}

describe("polygonToMask", () => {
  it("fills the pixels whose centres lie inside an axis-aligned square", () => {
    // Square from (1, 1) to (3, 3) in pixels covers centres (1.5, 1.5) … (2.5, 2.5).
    const mask = polygonToMask([1, 1, 3, 1, 3, 3, 1, 3], 4, 5, { normalized: false });
    expect(rows(mask, 5)).toEqual(["00000", "01100", "01100", "00000"]);
  });

  it("applies the top-left rule to pixel centres lying exactly on an edge", () => {
    // Edges at x = 0.5 / 2.5 and y = 0.5 / 2.5 pass through pixel centres: the left and top
    // ones claim their pixels, the right and bottom ones do not.
    const mask = polygonToMask([0.5, 0.5, 2.5, 0.5, 2.5, 2.5, 0.5, 2.5], 3, 3, { normalized: false });
    expect(rows(mask, 3)).toEqual(["110", "110", "000"]);
  });

  it("scales normalised coordinates by width and height", () => {
    const px = polygonToMask([1, 1, 3, 1, 3, 3, 1, 3], 4, 5, { normalized: false });
    const norm = polygonToMask([1 / 5, 1 / 4, 3 / 5, 1 / 4, 3 / 5, 3 / 4, 1 / 5, 3 / 4], 4, 5, { normalized: true });
    expect(norm).toEqual(px);
  });

  it("treats an inner ring as a hole under the even-odd rule", () => {
    const outer = [0, 0, 5, 0, 5, 5, 0, 5];
    const inner = [1, 1, 4, 1, 4, 4, 1, 4];
    const mask = polygonToMask([...outer, ...inner], 5, 5, { normalized: false, numPoints: [4, 4] });
    expect(rows(mask, 5)).toEqual(["11111", "10001", "10001", "10001", "11111"]);
  });

  it("clips a polygon larger than the image and ignores degenerate rings", () => {
    const mask = polygonToMask([-10, -10, 50, -10, 50, 50, -10, 50, 1, 1, 2, 2], 3, 3, {
      normalized: false,
      numPoints: [4, 2],
    });
    expect(Array.from(mask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 1]);
  });

  it("rejects num_points that do not match the coordinates", () => {
    expect(() => polygonToMask([0, 0, 1, 0, 1, 1], 2, 2, { normalized: false, numPoints: [4] })).toThrow(GeometryError);
  });

  it("returns an empty mask for a zero-size image", () => {
    expect(polygonToMask([0, 0, 1, 0, 1, 1], 0, 0, { normalized: true })).toEqual(new Uint8Array(0));
  });

  it("property: equals pointInMultiPath at every pixel centre on random multi-polygons", () => {
    const rng = makeRng(31337);
    for (let trial = 0; trial < 60; trial += 1) {
      const h = rng.int(1, 24);
      const w = rng.int(1, 24);
      const numPoints: number[] = [];
      const coords: number[] = [];
      for (let r = rng.int(1, 3); r > 0; r -= 1) {
        const n = rng.int(3, 9);
        numPoints.push(n);
        for (let k = 0; k < n; k += 1) {
          // Some vertices land exactly on pixel centres and edges to exercise the tie rules.
          const snap = rng.next() < 0.3;
          const x = snap ? rng.int(-2, w + 2) + (rng.next() < 0.5 ? 0.5 : 0) : rng.next() * (w + 4) - 2;
          const y = snap ? rng.int(-2, h + 2) + (rng.next() < 0.5 ? 0.5 : 0) : rng.next() * (h + 4) - 2;
          coords.push(x, y);
        }
      }
      const mask = polygonToMask(coords, h, w, { normalized: false, numPoints });
      const expected = new Uint8Array(h * w);
      for (let y = 0; y < h; y += 1) {
        for (let x = 0; x < w; x += 1) {
          expected[y * w + x] = pointInMultiPath(x + 0.5, y + 0.5, coords, numPoints) ? 1 : 0;
        }
      }
      expect(firstMismatch(mask, expected)).toBe(-1);
    }
  });

  it("polygonToRle encodes the rasterised mask", () => {
    const rle = polygonToRle([0, 0, 1, 0, 1, 1, 0, 1], 10, 20, { normalized: true });
    expect(rle.size).toEqual([10, 20]);
    expect(rleArea(rle)).toBe(200);
    expect(decodeMask(rle).every((v) => v === 1)).toBe(true);
  });
});
