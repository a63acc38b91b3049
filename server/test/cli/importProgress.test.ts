import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { progressFor } from "../../src/cli/progress.js";
import { formatEta, formatRate, RateMeter } from "../../src/cli/rate.js";

/** A clock the test moves by hand. */
function manualClock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

/** A stderr as the CLI sees it: a terminal (or not), collecting what is written. */
function stderrStream(isTTY: boolean): {
  stream: PassThrough & { isTTY: boolean; columns: number };
  text: () => string;
} {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 160 });
  let out = "";
  stream.on("data", (c: Buffer) => (out += c.toString()));
  return { stream, text: () => out };
}

describe("import progress: rate and ETA (RateMeter)", () => {
  it("reports records per second and the time left from the injected clock", () => {
    const clock = manualClock();
    const meter = new RateMeter(clock.now);
    expect(meter.update(0, 10_000)).toEqual({ perSecond: 0, etaSeconds: null });
    clock.advance(2_000);
    const r = meter.update(1_000, 10_000);
    expect(r.perSecond).toBeCloseTo(500, 6);
    expect(r.etaSeconds).toBeCloseTo(18, 6);
    clock.advance(2_000);
    const r2 = meter.update(3_000, 10_000);
    expect(r2.perSecond).toBeCloseTo(750, 6); // 3,000 records in 4 s
    expect(r2.etaSeconds).toBeCloseTo(7_000 / 750, 6);
  });

  it("measures the rate over the recent window, not since the start", () => {
    const clock = manualClock();
    const meter = new RateMeter(clock.now, 10_000);
    meter.update(0, 100_000);
    // A slow first minute (100 records/s), then 1,000 records/s.
    for (let s = 1; s <= 60; s++) {
      clock.advance(1_000);
      meter.update(s * 100, 100_000);
    }
    let done = 6_000;
    let last = meter.update(done, 100_000);
    for (let s = 1; s <= 20; s++) {
      clock.advance(1_000);
      done += 1_000;
      last = meter.update(done, 100_000);
    }
    expect(last.perSecond).toBeCloseTo(1_000, 6);
    expect(last.etaSeconds).toBeCloseTo((100_000 - done) / 1_000, 6);
  });

  it("keeps a bounded number of samples when updated for every record", () => {
    const clock = manualClock();
    const meter = new RateMeter(clock.now, 10_000);
    for (let i = 1; i <= 200_000; i++) {
      clock.advance(0.5); // 2,000 records/s
      meter.update(i, 400_000);
    }
    const samples = (meter as unknown as { samples: unknown[] }).samples.length;
    expect(samples).toBeLessThanOrEqual(52);
    expect(meter.update(200_000, 400_000).perSecond).toBeCloseTo(2_000, 3);
  });

  it("restarts when the count goes back (a new phase)", () => {
    const clock = manualClock();
    const meter = new RateMeter(clock.now);
    meter.update(0, 100);
    clock.advance(1_000);
    meter.update(100, 100);
    clock.advance(1_000);
    expect(meter.update(0, 50)).toEqual({ perSecond: 0, etaSeconds: null });
    clock.advance(1_000);
    expect(meter.update(10, 50).etaSeconds).toBeCloseTo(4, 6);
  });

  it("formats the ETA and the rate for the bar", () => {
    expect(formatEta(null)).toBe("--");
    expect(formatEta(42.4)).toBe("42s");
    expect(formatEta(65)).toBe("1m05s");
    expect(formatEta(3_725)).toBe("1h02m");
    expect(formatRate(1234.4)).toBe("1,234/s");
  });
});

describe("import progress bar on stderr", () => {
  it("shows records/s and the ETA when stderr is a terminal", () => {
    const clock = manualClock();
    const err = stderrStream(true);
    const progress = progressFor({ stdout: new PassThrough(), stderr: err.stream, cwd: "/" }, "import", {
      now: clock.now,
    });
    progress.update(0, 4_000, "write");
    clock.advance(2_000);
    progress.update(1_000, 4_000, "write");
    progress.stop();
    const text = err.text();
    expect(text).toContain("1000/4000 records");
    expect(text).toContain("500/s");
    expect(text).toContain("ETA 6s");
  });

  it("writes nothing when stderr is not a terminal", () => {
    const err = stderrStream(false);
    const progress = progressFor({ stdout: new PassThrough(), stderr: err.stream, cwd: "/" }, "import");
    progress.update(10, 100, "write");
    progress.stop();
    expect(err.text()).toBe("");
  });
});
