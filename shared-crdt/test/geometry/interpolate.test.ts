import { describe, expect, it } from "vitest";

import { interpolateBBox, interpolateKeypoints, xywhToXyxy } from "../../src/geometry/index.js";
import type { BBoxKeyframe, KeypointsKeyframe } from "../../src/geometry/index.js";
import { makeRng, reasonOf } from "./helpers.js";

const boxes: BBoxKeyframe[] = [
  { frameIndex: 2, coords: [0, 0, 10, 10] },
  { frameIndex: 6, coords: [4, 8, 20, 10] },
  { frameIndex: 7, coords: [0, 0, 1, 1] },
];

describe("interpolateBBox", () => {
  it("returns keyframes as-is (copies) and undefined outside [first, last]", () => {
    const at2 = interpolateBBox(boxes, 2);
    expect(at2).toEqual([0, 0, 10, 10]);
    expect(at2).not.toBe(boxes[0]?.coords);
    expect(interpolateBBox(boxes, 7)).toEqual([0, 0, 1, 1]);
    expect(interpolateBBox(boxes, 1)).toBeUndefined();
    expect(interpolateBBox(boxes, 8)).toBeUndefined();
    expect(interpolateBBox([], 0)).toBeUndefined();
  });

  it("interpolates x, y, w, h linearly between the surrounding keyframes", () => {
    expect(interpolateBBox(boxes, 3)).toEqual([1, 2, 12.5, 10]);
    expect(interpolateBBox(boxes, 4)).toEqual([2, 4, 15, 10]);
    expect(interpolateBBox(boxes, 6.5)).toEqual([2, 4, 10.5, 5.5]);
  });

  it("rejects unsorted or duplicate keyframes and malformed coords", () => {
    expect(reasonOf(() => interpolateBBox([boxes[1]!, boxes[0]!], 4))).toBe("keyframes-not-sorted");
    expect(reasonOf(() => interpolateBBox([boxes[0]!, boxes[0]!], 2))).toBe("keyframes-not-sorted");
    expect(reasonOf(() => interpolateBBox([{ frameIndex: 0, coords: [1, 2, 3] }], 0))).toBe("invalid-coords");
  });

  it("property: endpoints equal keyframes and interpolation commutes with xywh→xyxy", () => {
    const rng = makeRng(7);
    for (let trial = 0; trial < 100; trial += 1) {
      const keyframes: BBoxKeyframe[] = [];
      let frame = rng.int(0, 5);
      for (let k = rng.int(1, 6); k > 0; k -= 1) {
        keyframes.push({ frameIndex: frame, coords: [rng.next(), rng.next(), rng.next(), rng.next()] });
        frame += rng.int(1, 20);
      }
      for (const k of keyframes) expect(interpolateBBox(keyframes, k.frameIndex)).toEqual(k.coords);
      const first = keyframes[0]!.frameIndex;
      const last = keyframes[keyframes.length - 1]!.frameIndex;
      expect(interpolateBBox(keyframes, first - 1)).toBeUndefined();
      expect(interpolateBBox(keyframes, last + 1)).toBeUndefined();
      const f = rng.int(first, last);
      const inXywh = interpolateBBox(keyframes, f)!;
      const asXyxy = keyframes.map((k) => ({ frameIndex: k.frameIndex, coords: xywhToXyxy(k.coords) }));
      const inXyxy = interpolateBBox(asXyxy, f)!;
      xywhToXyxy(inXywh).forEach((v, i) => expect(v).toBeCloseTo(inXyxy[i] ?? Number.NaN, 12));
    }
  });
});

describe("interpolateKeypoints", () => {
  const kpts: KeypointsKeyframe[] = [
    { frameIndex: 10, coords: [0, 0, 1, 1], states: ["visible", "hidden"] },
    { frameIndex: 20, coords: [1, 0, 0, 1], states: ["invisible", "visible"] },
  ];

  it("interpolates each point and carries the previous keyframe's states", () => {
    expect(interpolateKeypoints(kpts, 15)).toEqual({ coords: [0.5, 0, 0.5, 1], states: ["visible", "hidden"] });
    expect(interpolateKeypoints(kpts, 19)?.states).toEqual(["visible", "hidden"]);
  });

  it("returns the keyframe (states included) on a keyframe, undefined outside", () => {
    expect(interpolateKeypoints(kpts, 20)).toEqual({ coords: [1, 0, 0, 1], states: ["invisible", "visible"] });
    expect(interpolateKeypoints(kpts, 10)).toEqual({ coords: [0, 0, 1, 1], states: ["visible", "hidden"] });
    expect(interpolateKeypoints(kpts, 9)).toBeUndefined();
    expect(interpolateKeypoints(kpts, 21)).toBeUndefined();
  });

  it("rejects keyframes with mismatched point or state counts", () => {
    const shorter: KeypointsKeyframe = { frameIndex: 30, coords: [0, 0], states: ["visible"] };
    expect(reasonOf(() => interpolateKeypoints([kpts[1]!, shorter], 25))).toBe("keyframe-shape-mismatch");
    const badStates: KeypointsKeyframe = { frameIndex: 30, coords: [0, 0, 1, 1], states: ["visible"] };
    expect(reasonOf(() => interpolateKeypoints([kpts[1]!, badStates], 25))).toBe("keyframe-shape-mismatch");
  });
});
