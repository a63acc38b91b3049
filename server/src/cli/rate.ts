/**
 * Throughput and time left of a long job (records/s and ETA on the import's progress bar), from
 * the progress reported so far: the rate over a sliding window of recent samples (so a slow
 * start or a burst does not skew it for the rest of the job), the ETA from that rate.
 */
export interface RateReading {
  /** Items per second over the window (0 until two samples at different times). */
  readonly perSecond: number;
  /** Seconds left at that rate; null while the rate is unknown. */
  readonly etaSeconds: number | null;
}

interface Sample {
  readonly at: number;
  readonly done: number;
}

export class RateMeter {
  private readonly samples: Sample[] = [];

  /**
   * @param now milliseconds clock (injected by tests; `performance.now` by default)
   * @param windowMs how far back the rate looks
   */
  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly windowMs = 10_000,
  ) {
    if (!(windowMs > 0)) throw new RangeError("RateMeter: the window must be positive");
  }

  /** Records that `done` items of `total` are done now; returns the current reading. */
  update(done: number, total: number): RateReading {
    const at = this.now();
    const last = this.samples[this.samples.length - 1];
    if (last && last.done > done) this.samples.length = 0; // a new phase restarted the count
    const newest = this.samples[this.samples.length - 1];
    // Samples are kept a fiftieth of the window apart: a job reporting every item stays at ~50 samples.
    if (!newest || at - newest.at >= this.windowMs / 50) this.samples.push({ at, done });
    // Keep one sample at or before the window's start, so the window is always covered.
    while (this.samples.length > 2 && this.samples[1]!.at <= at - this.windowMs) this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (at - first.at) / 1000;
    if (seconds <= 0) return { perSecond: 0, etaSeconds: null };
    const perSecond = (done - first.done) / seconds;
    if (perSecond <= 0) return { perSecond: 0, etaSeconds: null };
    return { perSecond, etaSeconds: Math.max(0, total - done) / perSecond };
  }
}

/** `1m05s`, `42s`, `1h02m`; `--` when unknown. */
export function formatEta(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "--";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** `1,234/s` style rate (whole items per second). */
export function formatRate(perSecond: number): string {
  return `${Math.round(perSecond).toLocaleString("en")}/s`;
}
