import {
  DASHBOARD_STATUSES,
  type DashboardHistogramBin,
  type DashboardPerson,
  type DashboardPersonTime,
  type DashboardStatus,
  type DashboardStatusCounts,
  type DashboardStatusPoint,
  type DashboardThroughput,
  type DashboardTimeSpent,
} from "@tessera/shared-crdt/api";
import type { ActivityDigest } from "./activityDigest.js";
import { bucketIndex, type Window } from "./window.js";

/**
 * The dashboard's time figures from an activity digest (SPEC D-DASH, D-TIME). Pure: the window (and so the clock)
 * comes from the caller.
 */

export function zeroCounts(): DashboardStatusCounts {
  return { new: 0, inProgress: 0, inReview: 0, validated: 0, other: 0 };
}

/**
 * Records per status at the end of each bucket, walking the transitions back from the current counts: each one
 * after a bucket's end is undone (`to` loses a record, `from` gets it back). Counts never go below zero (records
 * imported or changed outside Tessera leave no transition in the feed).
 */
export function statusOverTime(d: ActivityDigest, w: Window, current: DashboardStatusCounts): DashboardStatusPoint[] {
  const counts: Record<DashboardStatus, number> = { ...current };
  const events = d.statuses;
  let i = events.length - 1;
  const out: DashboardStatusPoint[] = new Array<DashboardStatusPoint>(w.starts.length);
  const size = w.bucket === "hour" ? 3_600_000 : 86_400_000;
  for (let b = w.starts.length - 1; b >= 0; b--) {
    const start = w.starts[b] as number;
    // The state at the end of the bucket (the window's end for the last one).
    const end = Math.min(start + size, w.to + 1);
    for (; i >= 0 && (events[i]?.t ?? 0) >= end; i--) {
      const e = events[i];
      if (!e) continue;
      counts[e.to] -= 1;
      counts[e.from] += 1;
    }
    const snapshot = zeroCounts();
    for (const s of DASHBOARD_STATUSES) snapshot[s] = Math.max(0, counts[s]);
    out[b] = { start: new Date(start).toISOString(), counts: snapshot };
  }
  return out;
}

const THROUGHPUT_ACTIONS = { submit: "submitted", approve: "approved", reject: "rejected" } as const;

function isCounted(action: string): action is keyof typeof THROUGHPUT_ACTIONS {
  return Object.hasOwn(THROUGHPUT_ACTIONS, action);
}

function person(d: ActivityDigest, id: string): DashboardPerson {
  return { id, name: d.names.get(id) ?? id };
}

/** Per person, in the window: records they submitted, approved and rejected (named actions only), per bucket. */
export function throughput(d: ActivityDigest, w: Window): DashboardThroughput[] {
  const people = new Map<string, DashboardThroughput>();
  for (const e of d.statuses) {
    if (!isCounted(e.action)) continue;
    const b = bucketIndex(w, e.t);
    if (b < 0) continue;
    let p = people.get(e.user);
    if (!p) {
      p = { user: person(d, e.user), submitted: 0, approved: 0, rejected: 0, buckets: [] };
      people.set(e.user, p);
    }
    const field = THROUGHPUT_ACTIONS[e.action];
    p[field]++;
    const start = new Date(w.starts[b] as number).toISOString();
    let last = p.buckets[p.buckets.length - 1];
    if (last?.start !== start) {
      // Events are in time order, so a person's buckets are too.
      last = { start, submitted: 0, approved: 0, rejected: 0 };
      p.buckets.push(last);
    }
    last[field]++;
  }
  return [...people.values()].sort(
    (a, b) =>
      b.submitted + b.approved + b.rejected - (a.submitted + a.approved + a.rejected) ||
      (a.user.name < b.user.name ? -1 : a.user.name > b.user.name ? 1 : 0),
  );
}

/** The `q` quantile of ascending values, interpolated between the two nearest ranks (0 for none). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (b - a) * (pos - lo);
}

/** Bin widths a histogram of durations uses, in seconds: the first that needs at most {@link MAX_BINS} bins. */
const WIDTHS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14_400, 28_800, 86_400];
const MAX_BINS = 20;

/** Durations (seconds) in equal bins from 0, of a round width; the last bin holds the largest value. */
export function durationHistogram(seconds: readonly number[]): DashboardHistogramBin[] {
  if (seconds.length === 0) return [];
  let max = 0;
  for (const s of seconds) max = Math.max(max, s);
  const width =
    WIDTHS.find((w) => Math.floor(max / w) + 1 <= MAX_BINS) ?? Math.ceil(max / (MAX_BINS - 1) / 86_400) * 86_400;
  const n = Math.floor(max / width) + 1;
  const counts = new Array<number>(n).fill(0);
  for (const s of seconds) counts[Math.min(n - 1, Math.floor(s / width))]! += 1;
  return counts.map((count, i) => ({ bin_start: i * width, bin_end: (i + 1) * width, count }));
}

const round = (s: number) => Math.round(s * 1000) / 1000;

/**
 * Time spent (D-TIME): each edit batch in the window counts `until − at`; a record's time is the sum over its
 * batches (everyone's), a person's time on a record the sum over their batches on it.
 */
export function timeSpent(d: ActivityDigest, w: Window): DashboardTimeSpent {
  const perRecord = new Map<string, number>();
  const perPerson = new Map<string, Map<string, number>>();
  for (const e of d.edits) {
    if (e.t < w.from || e.t > w.to) continue;
    perRecord.set(e.record, (perRecord.get(e.record) ?? 0) + e.ms);
    let mine = perPerson.get(e.user);
    if (!mine) perPerson.set(e.user, (mine = new Map()));
    mine.set(e.record, (mine.get(e.record) ?? 0) + e.ms);
  }
  const seconds = [...perRecord.values()].map((ms) => ms / 1000).sort((a, b) => a - b);
  const people: DashboardPersonTime[] = [...perPerson].map(([id, records]) => {
    const s = [...records.values()].map((ms) => ms / 1000).sort((a, b) => a - b);
    return {
      user: person(d, id),
      records: s.length,
      total_seconds: round(s.reduce((a, b) => a + b, 0)),
      median_seconds: round(quantile(s, 0.5)),
      p90_seconds: round(quantile(s, 0.9)),
    };
  });
  people.sort((a, b) => b.total_seconds - a.total_seconds || (a.user.name < b.user.name ? -1 : 1));
  const longest = [...perRecord]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 10)
    .map(([record_id, ms]) => ({ record_id, seconds: round(ms / 1000) }));
  return {
    records: seconds.length,
    total_seconds: round(seconds.reduce((a, b) => a + b, 0)),
    median_seconds: round(quantile(seconds, 0.5)),
    p90_seconds: round(quantile(seconds, 0.9)),
    histogram: durationHistogram(seconds),
    per_person: people,
    longest,
  };
}
