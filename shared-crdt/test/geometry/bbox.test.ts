import { describe, expect, it } from "vitest";

import {
  bboxArea,
  bboxIou,
  clampBbox,
  convertBbox,
  denormalizeBbox,
  GeometryError,
  normalizeBbox,
  toBox,
  xywhToXyxy,
  xyxyToXywh,
} from "../../src/geometry/index.js";
import { makeRng } from "./helpers.js";

describe("bbox conversions", () => {
  it("converts xywh to xyxy and back", () => {
    expect(xywhToXyxy([10, 20, 30, 40])).toEqual([10, 20, 40, 60]);
    expect(xyxyToXywh([10, 20, 40, 60])).toEqual([10, 20, 30, 40]);
    expect(convertBbox([1, 2, 3, 4], "xywh", "xywh")).toEqual([1, 2, 3, 4]);
    expect(convertBbox([1, 2, 3, 4], "xyxy", "xywh")).toEqual([1, 2, 2, 2]);
  });

  it("rejects anything but four finite numbers", () => {
    expect(() => toBox([1, 2, 3])).toThrow(GeometryError);
    expect(() => toBox([1, 2, 3, Number.NaN])).toThrow(GeometryError);
    expect(() => xywhToXyxy([1, 2, 3, 4, 5])).toThrow(GeometryError);
  });

  it("normalises against width for x/w and height for y/h", () => {
    expect(normalizeBbox([64, 48, 320, 240], 640, 480)).toEqual([0.1, 0.1, 0.5, 0.5]);
    expect(denormalizeBbox([0.1, 0.1, 0.5, 0.5], 640, 480)).toEqual([64, 48, 320, 240]);
    expect(() => normalizeBbox([0, 0, 1, 1], 0, 480)).toThrow(GeometryError);
  });

  it("property: conversions and normalisation round-trip on seeded random boxes", () => {
    const rng = makeRng(4242);
    for (let trial = 0; trial < 500; trial += 1) {
      const width = rng.int(1, 4000);
      const height = rng.int(1, 4000);
      const box: [number, number, number, number] = [
        rng.next() * width,
        rng.next() * height,
        rng.next() * width,
        rng.next() * height,
      ];
      const back = xyxyToXywh(xywhToXyxy(box));
      const norm = denormalizeBbox(normalizeBbox(box, width, height), width, height);
      for (let i = 0; i < 4; i += 1) {
        expect(back[i]).toBeCloseTo(box[i] ?? 0, 9);
        expect(norm[i]).toBeCloseTo(box[i] ?? 0, 9);
      }
      // Area does not depend on the format it is computed in.
      expect(bboxArea(xywhToXyxy(box), "xyxy")).toBeCloseTo(bboxArea(box, "xywh"), 6);
    }
  });
});

describe("clampBbox", () => {
  it("clips to the image and keeps the format", () => {
    expect(clampBbox([-10, 5, 50, 10], "xywh", 30, 30)).toEqual([0, 5, 30, 10]);
    expect(clampBbox([-0.2, 0.5, 1.3, 0.9], "xyxy", 1, 1)).toEqual([0, 0.5, 1, 0.9]);
  });

  it("orders reversed corners and collapses boxes outside the image", () => {
    expect(clampBbox([20, 20, 10, 10], "xyxy", 30, 30)).toEqual([10, 10, 20, 20]);
    expect(clampBbox([40, 40, 5, 5], "xywh", 30, 30)).toEqual([30, 30, 0, 0]);
  });
});

describe("bboxArea / bboxIou", () => {
  it("computes area in both formats, negative extents as zero", () => {
    expect(bboxArea([0, 0, 4, 5], "xywh")).toBe(20);
    expect(bboxArea([1, 1, 4, 5], "xyxy")).toBe(12);
    expect(bboxArea([5, 5, 1, 1], "xyxy")).toBe(0);
  });

  it("gives 1 for identical boxes, 0 for disjoint or touching, the ratio otherwise", () => {
    expect(bboxIou([0, 0, 10, 10], [0, 0, 10, 10], "xywh")).toBe(1);
    expect(bboxIou([0, 0, 10, 10], [10, 0, 10, 10], "xywh")).toBe(0);
    expect(bboxIou([0, 0, 10, 10], [5, 0, 15, 10], "xyxy")).toBeCloseTo(50 / 150, 12);
    expect(bboxIou([0, 0, 0, 0], [0, 0, 0, 0], "xywh")).toBe(0);
  });

  it("property: IoU is symmetric, in [0, 1], and format-independent", () => {
    const rng = makeRng(99);
    for (let trial = 0; trial < 300; trial += 1) {
      const a = [rng.next() * 10, rng.next() * 10, rng.next() * 10, rng.next() * 10];
      const b = [rng.next() * 10, rng.next() * 10, rng.next() * 10, rng.next() * 10];
      const iou = bboxIou(a, b, "xywh");
      expect(iou).toBeGreaterThanOrEqual(0);
      expect(iou).toBeLessThanOrEqual(1);
      expect(bboxIou(b, a, "xywh")).toBeCloseTo(iou, 12);
      expect(bboxIou(xywhToXyxy(a), xywhToXyxy(b), "xyxy")).toBeCloseTo(iou, 9);
    }
  });
});
