import { describe, expect, it } from "vitest";
import { idleNoise, jobLatency } from "../src/scenarios/jobWindows.js";

const ramp = (n: number, k: number) => Array.from({ length: n }, (_, i) => (i + 1) * k);

describe("a job benchmark's verdict on the editors' latency", () => {
  it("idle noise: the 1st and 3rd idle windows against the 2nd and 4th, the larger percentile over the smaller", () => {
    // Windows 1 and 3 are 1..100 ms, 2 and 4 twice that: every percentile moves 2× between the halves.
    const noise = idleNoise([ramp(100, 1), ramp(100, 2), ramp(100, 1), ramp(100, 2)]);
    expect(noise).toEqual({ p50: 2, p95: 2, p99: 2 });
    // Same conditions on both halves: no spread, whichever half is slower.
    expect(idleNoise([ramp(100, 1), ramp(100, 1)])).toEqual({ p50: 1, p95: 1, p99: 1 });
    expect(idleNoise([ramp(100, 1)])).toBeNull();
  });

  it("loaded ÷ idle per percentile, with the idle noise next to it in the JSON and the table", () => {
    const idle = [ramp(100, 1), ramp(100, 1)];
    const loaded = ramp(200, 0.6); // 0.6..120 ms: p50 60, p95 114, p99 118.8
    const r = jobLatency(idle, loaded, "while a job runs", { label: "items", count: 7 });
    expect(r.json.ratioP50).toBeCloseTo(60 / 50);
    expect(r.json.ratioP95).toBeCloseTo(114 / 95);
    expect(r.json.ratioP99).toBeCloseTo(118.8 / 99);
    expect(r.json.idleNoise).toEqual({ p50: 1, p95: 1, p99: 1 });
    expect(Object.keys(r.json.results as object)).toEqual([
      "edit round trip, idle",
      "edit round trip, while a job runs",
    ]);
    expect(r.tables[1]?.rows[0]).toEqual(["7", "1.20", "1.20", "1.20", "1.00", "1.00", "1.00"]);
  });
});
