import { describe, expect, it } from "vitest";

import { checkTrackletRange, glueTrackletRanges, splitTrackletRange } from "../../src/geometry/index.js";
import { makeRng, reasonOf } from "./helpers.js";

describe("checkTrackletRange", () => {
  it("accepts integer frames with start <= end, rejects sentinels and reversed ranges", () => {
    expect(() => checkTrackletRange({ start: 3, end: 3 })).not.toThrow();
    expect(reasonOf(() => checkTrackletRange({ start: -1, end: -1 }))).toBe("invalid-tracklet-range");
    expect(reasonOf(() => checkTrackletRange({ start: 5, end: 4 }))).toBe("invalid-tracklet-range");
    expect(reasonOf(() => checkTrackletRange({ start: 0.5, end: 4 }))).toBe("invalid-tracklet-range");
  });
});

describe("splitTrackletRange", () => {
  it("splits after frame `at` into [start, at] and [at + 1, end]", () => {
    expect(splitTrackletRange(0, 10, 4)).toEqual([
      { start: 0, end: 4 },
      { start: 5, end: 10 },
    ]);
    expect(splitTrackletRange(3, 4, 3)).toEqual([
      { start: 3, end: 3 },
      { start: 4, end: 4 },
    ]);
  });

  it("snaps each side to its outermost keyframe when keyframes are given", () => {
    expect(splitTrackletRange(0, 20, 9, [0, 5, 12, 20])).toEqual([
      { start: 0, end: 5 },
      { start: 12, end: 20 },
    ]);
  });

  it("requires start <= at < end", () => {
    expect(reasonOf(() => splitTrackletRange(0, 10, 10))).toBe("split-out-of-range");
    expect(reasonOf(() => splitTrackletRange(2, 10, 1))).toBe("split-out-of-range");
    expect(reasonOf(() => splitTrackletRange(5, 5, 5))).toBe("split-out-of-range");
    expect(reasonOf(() => splitTrackletRange(6, 5, 5))).toBe("invalid-tracklet-range");
  });
});

describe("glueTrackletRanges", () => {
  it("glues adjacent or gapped ranges in either order", () => {
    expect(glueTrackletRanges({ start: 0, end: 4 }, { start: 5, end: 9 })).toEqual({ start: 0, end: 9 });
    expect(glueTrackletRanges({ start: 20, end: 30 }, { start: 0, end: 4 })).toEqual({ start: 0, end: 30 });
  });

  it("refuses overlapping ranges", () => {
    expect(reasonOf(() => glueTrackletRanges({ start: 0, end: 5 }, { start: 5, end: 9 }))).toBe("tracklet-overlap");
    expect(reasonOf(() => glueTrackletRanges({ start: 2, end: 3 }, { start: 0, end: 9 }))).toBe("tracklet-overlap");
  });

  it("property: glue(split(r, at)) === r for every valid split point", () => {
    const rng = makeRng(11);
    for (let trial = 0; trial < 200; trial += 1) {
      const start = rng.int(0, 100);
      const end = start + rng.int(1, 100);
      const at = rng.int(start, end - 1);
      const [left, right] = splitTrackletRange(start, end, at);
      expect(left.end + 1).toBe(right.start);
      expect(glueTrackletRanges(right, left)).toEqual({ start, end });
    }
  });
});
