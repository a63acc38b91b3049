import { readStamp } from "../bots/stamps.js";

/**
 * Fold lag from REST reads: each bot moves its own box at a fixed period, stamping the edit's send
 * time and sequence number into `source_metadata` (`bots/stamps.ts`). A REST poll that shows a
 * bot's box at sequence `s` (newer than the `p` seen before) makes edits `p+1 … s` visible at the
 * poll's time; the stamp gives edit `s`'s send time, and the earlier ones were sent one period
 * apart before it. Lag = visible − sent, for edits sent in `[from, to]`; a poll's granularity
 * (its interval) is included, as a REST reader would see it.
 */
export class FoldLagTracker {
  private readonly seen = new Map<number, number>();
  readonly lagsMs: number[] = [];

  constructor(
    private readonly periodMs: number,
    private readonly from: number,
    private readonly to: number,
  ) {}

  /** One REST answer (`source_metadata` of every box) observed at `at`. */
  observe(at: number, metadata: readonly unknown[]): void {
    for (const m of metadata) {
      const stamp = readStamp(m);
      if (!stamp) continue;
      const before = this.seen.get(stamp.c) ?? -1;
      if (stamp.s <= before) continue;
      this.seen.set(stamp.c, stamp.s);
      for (let k = before + 1; k <= stamp.s; k++) {
        const sent = stamp.t - (stamp.s - k) * this.periodMs;
        if (sent >= this.from && sent <= this.to) this.lagsMs.push(Math.max(0, at - sent));
      }
    }
  }

  /** The last sequence number seen per bot index. */
  lastSeen(index: number): number {
    return this.seen.get(index) ?? -1;
  }
}
