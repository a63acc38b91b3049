import { describe, expect, it } from "vitest";

import { decodeMask, emptyRle, encodeMask, GeometryError, mergeRle, mergeRuns } from "../../src/geometry/index.js";
import type { MaskMergeOp } from "../../src/geometry/index.js";
import { firstMismatch, makeRng, randomMask, reasonOf } from "./helpers.js";

const ops: MaskMergeOp[] = ["union", "intersection", "difference"];

function pixelwise(a: Uint8Array, b: Uint8Array, op: MaskMergeOp): Uint8Array {
  return a.map((va, i) => {
    const vb = b[i] ?? 0;
    if (op === "union") return va | vb;
    if (op === "intersection") return va & vb;
    return va & (vb ^ 1);
  });
}

describe("mergeRle", () => {
  it("property: every op equals the pixelwise op and re-encodes canonically", () => {
    const rng = makeRng(2024);
    for (let trial = 0; trial < 150; trial += 1) {
      const h = rng.int(1, 30);
      const w = rng.int(1, 30);
      const a = randomMask(rng, h, w, rng.next(), trial % 3 !== 0);
      const b = randomMask(rng, h, w, rng.next(), trial % 2 === 0);
      for (const op of ops) {
        const merged = mergeRle(encodeMask(a, h, w), encodeMask(b, h, w), op);
        const expected = pixelwise(a, b, op);
        expect(firstMismatch(decodeMask(merged), expected)).toBe(-1);
        // Canonical runs: the same string encodeMask gives for the pixelwise result.
        expect(merged).toEqual(encodeMask(expected, h, w));
      }
    }
  });

  it("handles zero-length runs in non-canonical inputs", () => {
    expect(mergeRuns([2, 0, 3], [5], "union")).toEqual([5]);
    expect(mergeRuns([0, 5], [2, 0, 3], "intersection")).toEqual([5]);
    expect(mergeRuns([0, 5], [1, 2, 2], "difference")).toEqual([0, 1, 2, 2]);
  });

  it("merges two empty masks to the empty mask", () => {
    expect(mergeRle(emptyRle(), emptyRle(), "union")).toEqual(emptyRle());
  });

  it("refuses masks of different sizes", () => {
    const a = encodeMask(new Uint8Array(6), 2, 3);
    const b = encodeMask(new Uint8Array(6), 3, 2);
    expect(() => mergeRle(a, b, "union")).toThrow(GeometryError);
    expect(reasonOf(() => mergeRle(a, b, "union"))).toBe("rle-shape-mismatch");
  });
});
