/**
 * Time as a port, so throttles (30 Hz document updates while dragging, 20 Hz cursor awareness,
 * cursor fading) are tested by advancing a manual clock instead of sleeping.
 */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const browserClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};

/**
 * Runs `fn` at most once per `intervalMs`: the first call runs at once, later calls within the
 * interval are coalesced into one trailing run at the end of it (so the last value always lands).
 */
export class Throttle {
  private last = -Infinity;
  private timer: unknown = null;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly fn: () => void,
  ) {}

  request(): void {
    const now = this.clock.now();
    if (now - this.last >= this.intervalMs) {
      this.cancel();
      this.run();
      return;
    }
    if (this.timer === null) this.timer = this.clock.setTimeout(() => this.run(), this.intervalMs - (now - this.last));
  }

  /** Runs now if something is pending (end of a gesture). */
  flush(): void {
    if (this.timer === null) return;
    this.cancel();
    this.run();
  }

  cancel(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  private run(): void {
    this.timer = null;
    this.last = this.clock.now();
    this.fn();
  }
}
