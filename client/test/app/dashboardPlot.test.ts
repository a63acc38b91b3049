import { describe, expect, it } from "vitest";
import { formatRoute, parseHash } from "../../src/app/routes.js";
import {
  bandPath,
  barSlots,
  bucketLabel,
  formatDuration,
  labelIndexes,
  linearScale,
  niceStep,
  niceTicks,
  stack,
  topCategories,
} from "../../src/pages/dashboard/plotMath.js";
import { statsBars } from "../../src/pages/dashboard/statsJson.js";

/** The dashboard's plot arithmetic (SPEC D-DASH): scales, ticks, stacking, bars, bins and labels. */

describe("dashboard scales and ticks", () => {
  it("a linear scale maps the domain onto the range (inverted for SVG's y), an empty domain to the start", () => {
    const y = linearScale([0, 10], [200, 0]);
    expect(y(0)).toBe(200);
    expect(y(5)).toBe(100);
    expect(y(10)).toBe(0);
    expect(linearScale([3, 3], [50, 0])(3)).toBe(50);
  });

  it("ticks are round (1, 2, 5 × 10ⁿ), start at 0 and end at or above the maximum", () => {
    expect(niceStep(100, 5)).toBe(20);
    expect(niceStep(7, 4)).toBe(2);
    expect(niceTicks(0, 93, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 100, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    const t = niceTicks(0, 3, 5, true);
    expect(t.every((v) => Number.isInteger(v))).toBe(true);
    expect(t.at(-1)).toBeGreaterThanOrEqual(3);
    expect(niceTicks(0, 0, 4, true)).toEqual([0, 1]);
  });
});

describe("dashboard stacking and bars", () => {
  it("stacks series bottom-up per point; a band's top is the next band's bottom", () => {
    const bands = stack(
      [
        { a: 1, b: 2 },
        { a: 3, b: 0 },
      ],
      ["a", "b"],
    );
    expect(bands).toEqual([
      { key: "a", lower: [0, 0], upper: [1, 3] },
      { key: "b", lower: [1, 3], upper: [3, 3] },
    ]);
  });

  it("a band's path runs along its top left to right and back along its bottom", () => {
    expect(bandPath([0, 10], [5, 5], [1, 2])).toBe("M0,1L10,2L10,5L0,5Z");
    expect(bandPath([], [], [])).toBe("");
  });

  it("bar slots share the width, centred in equal slots with a gap", () => {
    const s = barSlots(4, 400, 0.2);
    expect(s).toHaveLength(4);
    expect(s[0]).toEqual({ x: 10, w: 80 });
    expect(s[3]?.x).toBe(310);
    expect(barSlots(0, 400)).toEqual([]);
  });

  it("top categories keep the most frequent and sum the rest as others", () => {
    const items = [
      { label: "b", count: 5 },
      { label: "a", count: 5 },
      { label: "c", count: 1 },
      { label: "d", count: 2 },
    ];
    expect(topCategories(items, 2)).toEqual([
      { label: "a", count: 5 },
      { label: "b", count: 5 },
      { label: "others", count: 3 },
    ]);
    expect(topCategories(items, 10)).toHaveLength(4);
  });

  it("axis labels: at most the asked number, first and last included", () => {
    expect(labelIndexes(5, 8)).toEqual([0, 1, 2, 3, 4]);
    const l = labelIndexes(27, 6);
    expect(l.length).toBeLessThanOrEqual(6);
    expect(l[0]).toBe(0);
    expect(l.at(-1)).toBe(26);
    expect(labelIndexes(0, 6)).toEqual([]);
  });
});

describe("dashboard labels of time", () => {
  it("durations read as people say them", () => {
    expect(formatDuration(42)).toBe("42 s");
    expect(formatDuration(200)).toBe("3 min 20 s");
    expect(formatDuration(180)).toBe("3 min");
    expect(formatDuration(3900)).toBe("1 h 05 min");
    expect(formatDuration(2 * 86_400 + 3 * 3600)).toBe("2 d 3 h");
  });
  it("buckets are labelled in UTC, with the hour for hourly ones", () => {
    expect(bucketLabel("2026-03-09T14:00:00.000Z", "hour")).toBe("Mar 9 14:00");
    expect(bucketLabel("2026-03-09T00:00:00.000Z", "day")).toBe("Mar 9");
  });
});

describe("stats.json histograms as bars (Pixano spec §3.6)", () => {
  it("categorical: counts per value summed over the splits, in the file's order", () => {
    const b = statsBars({
      name: "category",
      type: "categorical",
      range: null,
      histogram: [
        { category: "car", counts: 3, split: "train" },
        { category: "car", counts: 1, split: "test" },
        { category: "person", counts: 2, split: "train" },
      ],
    });
    expect(b).toEqual({
      kind: "categorical",
      items: [
        { label: "car", count: 4 },
        { label: "person", count: 2 },
      ],
    });
  });
  it("numerical: one bin per range, counts summed over the splits, in order", () => {
    const b = statsBars({
      name: "width",
      type: "numerical",
      range: [0, 20],
      histogram: [
        { bin_start: 10, bin_end: 20, counts: 1, split: "train" },
        { bin_start: 0, bin_end: 10, counts: 2, split: "train" },
        { bin_start: 0, bin_end: 10, counts: 5, split: "test" },
      ],
    });
    expect(b).toEqual({
      kind: "numerical",
      bins: [
        { start: 0, end: 10, count: 7 },
        { start: 10, end: 20, count: 1 },
      ],
    });
  });
});

describe("dashboard route", () => {
  it("#/dashboard/<dataset> parses and formats back, ids encoded", () => {
    expect(parseHash("#/dashboard/my%20ds")).toEqual({ page: "dashboard", datasetId: "my ds" });
    expect(formatRoute({ page: "dashboard", datasetId: "my ds" })).toBe("#/dashboard/my%20ds");
    expect(parseHash("#/dashboard")).toMatchObject({ page: "notFound" });
  });
});
