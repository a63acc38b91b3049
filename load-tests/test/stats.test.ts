import { describe, expect, it } from "vitest";
import { percentile, summarize } from "../src/stats.js";

describe("latency summaries", () => {
  it("use nearest-rank percentiles, so each figure is an observed latency", () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100 ms
    expect(percentile(samples, 50)).toBe(50);
    expect(percentile(samples, 95)).toBe(95);
    expect(percentile(samples, 99)).toBe(99);
    expect(percentile([7], 99)).toBe(7);
  });

  it("summarise unsorted samples with max and min, and no mean", () => {
    const s = summarize([30, 10, 20, 1000]);
    expect(s).toEqual({ n: 4, p50: 20, p95: 1000, p99: 1000, max: 1000, min: 10 });
    expect("mean" in s).toBe(false);
  });
});
