import { setImmediate as nextTurn } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { editorsFirst, EDITORS_FIRST_MAX_WAIT_MS, JobPacing } from "../../src/inference/jobPacing.js";
import { frameGapMs } from "../../src/inference/track/TrackService.js";
import { systemClock } from "../../src/sync/clock.js";
import { IntakeQueue, lastClientFrameTime, queuedClientFrames, type IntakeLimits } from "../../src/sync/IntakeQueue.js";

const LIMITS: IntakeLimits = {
  intakePauseFrames: 1_000,
  intakePauseBytes: 1 << 20,
  maxPendingFrames: 10_000,
  maxPendingBytes: 1 << 22,
  // One frame a turn: a burst of edits stays queued across several turns of the event loop.
  intakeBatchFrames: 1,
  intakeSliceMs: 50,
};

/** A started intake whose handled frames and the job's write are logged in the order they happen. */
function intake(log: string[]): IntakeQueue {
  const queue = new IntakeQueue(LIMITS, systemClock, {
    handle: (frames) => {
      for (const f of frames) log.push(`edit ${f[0]}`);
      return frames.length;
    },
    pause: () => undefined,
    resume: () => undefined,
    overflow: () => undefined,
  });
  queue.start();
  return queue;
}

/** Client edits are queued at the very moment a job record would start its write. */
async function jobWriteAfter(gate: () => Promise<unknown>): Promise<string[]> {
  const log: string[] = [];
  const queue = intake(log);
  for (let i = 1; i <= 4; i++) queue.push(Uint8Array.of(i));
  expect(queuedClientFrames()).toBe(4);
  await gate();
  log.push("job write");
  queue.stop();
  return log;
}

describe("pre-annotation jobs let editors go first", () => {
  it("client edits queued when a job record starts are handled before the record's write", async () => {
    const log = await jobWriteAfter(() => editorsFirst());
    expect(log).toEqual(["edit 1", "edit 2", "edit 3", "edit 4", "job write"]);
    expect(queuedClientFrames()).toBe(0);
  });

  it("without the gate (one yield) the job's write cuts in ahead of queued edits", async () => {
    const log = await jobWriteAfter(() => nextTurn());
    expect(log.indexOf("job write")).toBeLessThan(4);
  });

  it("the gate is bounded: a never-draining intake delays a record by about the bound, not more", async () => {
    const waited = await editorsFirst({ pending: () => 1 });
    expect(waited).toBeGreaterThanOrEqual(EDITORS_FIRST_MAX_WAIT_MS);
    expect(waited).toBeLessThan(EDITORS_FIRST_MAX_WAIT_MS + 1_000); // headroom for a loaded CI machine
  });

  it("a closed connection's queued frames no longer count as editors waiting", async () => {
    const log: string[] = [];
    const queue = intake(log);
    for (let i = 1; i <= 3; i++) queue.push(Uint8Array.of(i));
    queue.stop();
    expect(queuedClientFrames()).toBe(0);
  });
});

describe("a job's writes are paced while people edit", () => {
  /** A pacing on a manual clock: `rests` logs each rest asked for. */
  function paced(lastFrameAt: () => number) {
    let now = 10_000;
    const rests: number[] = [];
    const pacing = new JobPacing({
      now: () => now,
      lastClientFrame: lastFrameAt,
      pending: () => 0,
      rest: (ms) => {
        rests.push(ms);
        return Promise.resolve();
      },
    });
    const write = (ms: number) =>
      pacing.write(() => {
        now += ms;
        return Promise.resolve();
      });
    return { pacing, rests, write, advance: (ms: number) => (now += ms), now: () => now };
  }

  it("while an editor's frame is recent, the next write waits three times the last one (at most 250 ms)", async () => {
    let last = 10_000;
    const p = paced(() => last);
    await p.write(20);
    last = p.now() - 100;
    expect(await p.pacing.beforeWrite()).toBe(60);
    await p.write(200);
    expect(await p.pacing.beforeWrite()).toBe(250);
    expect(p.rests).toEqual([60, 250]);
  });

  it("nobody editing (no frame within a second): the job writes at full speed", async () => {
    const p = paced(() => Number.NEGATIVE_INFINITY);
    await p.write(20);
    expect(await p.pacing.beforeWrite()).toBe(0);
    let last = p.now();
    const q = paced(() => last);
    await q.write(20);
    last = q.now() - 1_500;
    expect(await q.pacing.beforeWrite()).toBe(0);
    expect([...p.rests, ...q.rests]).toEqual([]);
  });

  it("while people edit, a batch rests 29 times the event loop's busy time since the previous one (at most 2 s); nobody editing: none", async () => {
    let now = 10_000;
    let busy = 0;
    let last = now;
    const rests: number[] = [];
    const pacing = new JobPacing({
      now: () => now,
      lastClientFrame: () => last,
      loopBusy: () => busy,
      pending: () => 0,
      rest: (ms) => {
        rests.push(ms);
        return Promise.resolve();
      },
    });
    expect(await pacing.beforeBatch()).toBe(0); // the first batch: nothing measured yet
    busy += 12; // the batch's reads, loads and writes, and what ran beside them
    now += 40;
    last = now - 10;
    expect(await pacing.beforeBatch()).toBe(348);
    busy += 500;
    expect(await pacing.beforeBatch()).toBe(2000);
    busy += 12;
    now += 5_000; // nobody edited for 5 s
    expect(await pacing.beforeBatch()).toBe(0);
    expect(rests).toEqual([348, 2000]);
  });

  it("a client frame pushed into an intake marks editors active", () => {
    const pacing = new JobPacing({ activeWindowMs: 60_000 });
    const log: string[] = [];
    const queue = intake(log);
    queue.push(Uint8Array.of(1));
    expect(pacing.editorsActive()).toBe(true);
    expect(lastClientFrameTime()).toBeGreaterThan(Number.NEGATIVE_INFINITY);
    queue.stop();
  });
});

describe("a tracking run's pace (SPEC INF-TRACK)", () => {
  it("leaves at least 1000 / maxFps ms between two frames, twice that while people edit; unpaced stays unpaced", () => {
    expect(frameGapMs(20, false)).toBe(50);
    expect(frameGapMs(20, true)).toBe(100);
    expect(frameGapMs(0, true)).toBe(0);
    expect(frameGapMs(Infinity, true)).toBe(0);
  });
});
