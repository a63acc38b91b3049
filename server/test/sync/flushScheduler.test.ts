import { describe, expect, it } from "vitest";
import { FlushScheduler } from "../../src/sync/FlushScheduler.js";
import { DEFAULT_LIMITS } from "../../src/sync/index.js";
import { silentLogger, type Logger } from "../../src/logger.js";
import { flushMicrotasks, ManualClock } from "./support/ManualClock.js";

function setup(run?: () => Promise<void>) {
  const clock = new ManualClock();
  const starts: number[] = [];
  const errors: string[] = [];
  const logger: Logger = { ...silentLogger, error: (m) => void errors.push(m) };
  const flusher = new FlushScheduler(
    clock,
    DEFAULT_LIMITS,
    async () => {
      starts.push(clock.now());
      await run?.();
    },
    logger,
    {},
  );
  return { clock, starts, errors, flusher };
}

describe("FlushScheduler", () => {
  it("flushes 1.5 s after the last update", async () => {
    const { clock, starts, flusher } = setup();
    flusher.touch();
    await clock.advance(1_000);
    flusher.touch();
    await clock.advance(1_499);
    expect(starts).toEqual([]);
    await clock.advance(1);
    expect(starts).toEqual([2_500]);
    expect(flusher.dirty).toBe(false);
  });

  it("flushes at most 10 s after the first unflushed update under continuous edits", async () => {
    const { clock, starts, flusher } = setup();
    for (let t = 0; t < 25_000; t += 1_000) {
      flusher.touch();
      await clock.advance(1_000);
    }
    expect(starts).toEqual([10_000, 20_000]);
  });

  it("retries a failed flush with backoff, logs each failure, and never drops it", async () => {
    let failures = 3;
    const { clock, starts, errors, flusher } = setup(() =>
      failures-- > 0 ? Promise.reject(new Error("down")) : Promise.resolve(),
    );
    flusher.touch();
    await clock.advance(1_500);
    expect(starts).toEqual([1_500]);
    await clock.advance(200 + 400 + 800);
    expect(starts).toEqual([1_500, 1_700, 2_100, 2_900]);
    expect(errors).toHaveLength(3);
    expect(flusher.dirty).toBe(false);
  });

  it("flushNow runs at once, joins a flush in flight, and runs again for updates that came after it started", async () => {
    let release: (() => void) | null = null;
    const { clock, starts, flusher } = setup(() => new Promise<void>((r) => (release = r)));
    flusher.touch();
    const first = flusher.flushNow();
    await flushMicrotasks();
    expect(starts).toEqual([0]);
    flusher.touch();
    const second = flusher.flushNow();
    release!();
    expect(await first).toBe(true);
    await flushMicrotasks();
    expect(starts).toEqual([0, 0]);
    release!();
    expect(await second).toBe(true);
    expect(flusher.dirty).toBe(false);
    expect(clock.pending).toBe(0);
  });

  it("cancels its timers when disposed", async () => {
    const { clock, starts, flusher } = setup();
    flusher.touch();
    flusher.dispose();
    await clock.advance(20_000);
    expect(starts).toEqual([]);
    expect(await flusher.flushNow()).toBe(false);
  });
});
