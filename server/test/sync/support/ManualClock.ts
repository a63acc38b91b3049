import type { Clock, TimerHandle } from "../../../src/sync/index.js";

/** A clock tests advance by hand: timers fire in time order as `advance` passes them. */
export class ManualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void; cancelled: boolean }> = [];

  now(): number {
    return this.t;
  }

  /** Time does not pass while code runs: a batch never outruns its slice. */
  elapsed(): number {
    return this.t;
  }

  after(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.t + ms, seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Moves time forward, firing due timers (and letting their promise callbacks run) in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flushMicrotasks();
      const due = this.timers
        .filter((x) => !x.cancelled && x.at <= end)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.cancelled = true;
      this.t = due.at;
      due.fn();
    }
    this.t = end;
    await flushMicrotasks();
  }

  get pending(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }
}

/** Lets already-resolved promise chains run (a few macrotask turns, no wall-clock wait). */
export async function flushMicrotasks(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
}
