import { describe, expect, it } from "vitest";

import {
  denormalizeCoords,
  multiPathArea,
  normalizeCoords,
  pointInMultiPath,
  pointInPolygon,
  polygonArea,
  signedPolygonArea,
  splitMultiPath,
} from "../../src/geometry/index.js";
import { makeRng, reasonOf } from "./helpers.js";

describe("normalizeCoords / denormalizeCoords", () => {
  it("divides x by width and y by height", () => {
    expect(normalizeCoords([320, 120, 0, 480], 640, 480)).toEqual([0.5, 0.25, 0, 1]);
    expect(denormalizeCoords([0.5, 0.25, 0, 1], 640, 480)).toEqual([320, 120, 0, 480]);
    expect(normalizeCoords([], 10, 10)).toEqual([]);
  });

  it("rejects odd lengths, non-finite values and non-positive sizes", () => {
    expect(reasonOf(() => normalizeCoords([1, 2, 3], 10, 10))).toBe("invalid-coords");
    expect(reasonOf(() => normalizeCoords([1, Number.POSITIVE_INFINITY], 10, 10))).toBe("invalid-coords");
    expect(reasonOf(() => denormalizeCoords([0.1, 0.1], 10, -1))).toBe("invalid-dimensions");
  });

  it("property: denormalize(normalize(c)) ≈ c on seeded random point lists", () => {
    const rng = makeRng(5);
    for (let trial = 0; trial < 200; trial += 1) {
      const width = rng.int(1, 5000);
      const height = rng.int(1, 5000);
      const coords = Array.from({ length: 2 * rng.int(0, 12) }, (_, i) => rng.next() * (i % 2 === 0 ? width : height));
      const back = denormalizeCoords(normalizeCoords(coords, width, height), width, height);
      back.forEach((v, i) => expect(v).toBeCloseTo(coords[i] ?? Number.NaN, 9));
    }
  });
});

describe("multi-path helpers", () => {
  const square = [0, 0, 4, 0, 4, 4, 0, 4];
  const triangle = [10, 10, 13, 10, 10, 12];

  it("splits concatenated coords by num_points", () => {
    expect(splitMultiPath([...square, ...triangle], [4, 3])).toEqual([square, triangle]);
    expect(splitMultiPath([], [])).toEqual([]);
  });

  it("enforces sum(num_points) * 2 === coords.length", () => {
    expect(reasonOf(() => splitMultiPath(square, [3]))).toBe("invalid-num-points");
    expect(reasonOf(() => splitMultiPath(square, [2, 2.5]))).toBe("invalid-num-points");
    expect(reasonOf(() => splitMultiPath(square, [5, -1]))).toBe("invalid-num-points");
  });

  it("computes shoelace areas, signed by orientation", () => {
    expect(polygonArea(square)).toBe(16);
    expect(signedPolygonArea(square)).toBe(16);
    expect(signedPolygonArea([0, 0, 0, 4, 4, 4, 4, 0])).toBe(-16);
    expect(polygonArea(triangle)).toBe(3);
    expect(multiPathArea([...square, ...triangle], [4, 3])).toBe(19);
    expect(polygonArea([1, 1, 2, 2])).toBe(0);
  });

  it("tests points against one ring", () => {
    expect(pointInPolygon(2, 2, square)).toBe(true);
    expect(pointInPolygon(5, 2, square)).toBe(false);
    expect(pointInPolygon(-0.001, 2, square)).toBe(false);
    // Top-left rule: the left and top (smaller y) edges belong to the polygon, right/bottom not.
    expect(pointInPolygon(0, 2, square)).toBe(true);
    expect(pointInPolygon(4, 2, square)).toBe(false);
    expect(pointInPolygon(2, 0, square)).toBe(true);
    expect(pointInPolygon(2, 4, square)).toBe(false);
  });

  it("uses even-odd across sub-paths, so nested rings make holes", () => {
    const inner = [1, 1, 3, 1, 3, 3, 1, 3];
    expect(pointInMultiPath(0.5, 0.5, [...square, ...inner], [4, 4])).toBe(true);
    expect(pointInMultiPath(2, 2, [...square, ...inner], [4, 4])).toBe(false);
    expect(pointInMultiPath(11, 10.5, [...square, ...triangle], [4, 3])).toBe(true);
  });
});
