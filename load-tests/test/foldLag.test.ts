import { describe, expect, it } from "vitest";
import { stampMetadata } from "../src/bots/stamps.js";
import { FoldLagTracker } from "../src/scenarios/foldLag.js";

describe("FoldLagTracker", () => {
  it("times every edit a poll makes visible, the skipped ones one period apart before the stamped one", () => {
    const lag = new FoldLagTracker(1000, 0, 10_000);
    lag.observe(1500, [stampMetadata({ t: 1000, c: 0, s: 0 }), "{}"]);
    lag.observe(5000, [stampMetadata({ t: 4000, c: 0, s: 3 })]);
    lag.observe(6000, [stampMetadata({ t: 4000, c: 0, s: 3 })]);
    expect(lag.lagsMs).toEqual([500, 3000, 2000, 1000]);
    expect(lag.lastSeen(0)).toBe(3);
    expect(lag.lastSeen(1)).toBe(-1);
  });

  it("counts only edits sent inside the window", () => {
    const lag = new FoldLagTracker(1000, 2500, 3500);
    lag.observe(9000, [stampMetadata({ t: 4000, c: 2, s: 3 })]);
    expect(lag.lagsMs).toEqual([6000]);
  });
});
