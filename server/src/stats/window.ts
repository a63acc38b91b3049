import { DASHBOARD_BUCKETS, DASHBOARD_MAX_BUCKETS, type DashboardBucketParam } from "@tessera/shared-crdt/api";
import { ISO_8601 } from "../isoDate.js";

/**
 * The dashboard's time window and buckets (SPEC D-DASH): `from` and `to` are ISO 8601 instants, `to` defaults to
 * now and `from` to the feed's first entry (a week before `to` for an empty feed); buckets are UTC hours when the
 * window spans at most {@link AUTO_HOURLY_MAX_MS}, else UTC days, unless `bucket` names one.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Windows up to three days get hourly buckets under `auto`. */
const AUTO_HOURLY_MAX_MS = 3 * DAY_MS;
const DEFAULT_SPAN_MS = 7 * DAY_MS;

export interface Window {
  readonly from: number;
  readonly to: number;
  readonly bucket: "hour" | "day";
  /** Bucket starts, oldest first: the first is `from` floored to the bucket, the last holds `to` (the window is `from ≤ t ≤ to`). */
  readonly starts: readonly number[];
}

/** A query parameter that does not make a window: the route answers 422 with the message. */
export class WindowError extends Error {
  override name = "WindowError";
}

function instant(name: string, raw: string | undefined): number | null {
  if (raw === undefined) return null;
  const ms = ISO_8601.test(raw)
    ? Date.parse(/[T ]/.test(raw) && !/(?:Z|[+-]\d{2}:?\d{2})$/.test(raw) ? `${raw}Z` : raw)
    : NaN;
  if (!Number.isFinite(ms)) throw new WindowError(`${name}: not an ISO 8601 date or date-time: ${JSON.stringify(raw)}`);
  return ms;
}

function isBucket(v: string): v is DashboardBucketParam {
  return (DASHBOARD_BUCKETS as readonly string[]).includes(v);
}

function floorTo(ms: number, bucket: "hour" | "day"): number {
  const size = bucket === "hour" ? HOUR_MS : DAY_MS;
  return Math.floor(ms / size) * size;
}

/** The window of a request; `first` is the feed's earliest entry (ms) or null. Throws {@link WindowError}. */
export function resolveWindow(
  query: { readonly from?: string | undefined; readonly to?: string | undefined; readonly bucket?: string | undefined },
  now: number,
  first: number | null,
): Window {
  const bucketParam = query.bucket ?? "auto";
  if (!isBucket(bucketParam)) {
    throw new WindowError(`bucket: one of ${DASHBOARD_BUCKETS.join(", ")}, not ${JSON.stringify(bucketParam)}`);
  }
  const to = instant("to", query.to) ?? now;
  const from = instant("from", query.from) ?? Math.min(first ?? to - DEFAULT_SPAN_MS, to - HOUR_MS);
  if (from >= to) throw new WindowError("from: must be before to");
  const bucket = bucketParam === "auto" ? (to - from <= AUTO_HOURLY_MAX_MS ? "hour" : "day") : bucketParam;
  const size = bucket === "hour" ? HOUR_MS : DAY_MS;
  const start = floorTo(from, bucket);
  const n = Math.ceil((to - start) / size);
  if (n > DASHBOARD_MAX_BUCKETS) {
    throw new WindowError(
      `from/to: ${n} ${bucket} buckets, at most ${DASHBOARD_MAX_BUCKETS}: narrow the window${bucket === "hour" ? " or use bucket=day" : ""}`,
    );
  }
  const starts: number[] = [];
  for (let i = 0; i < n; i++) starts.push(start + i * size);
  return { from, to, bucket, starts };
}

/** The index of the bucket holding `t`, or -1 outside the window (`from ≤ t ≤ to`). */
export function bucketIndex(w: Window, t: number): number {
  if (t < w.from || t > w.to) return -1;
  const first = w.starts[0] ?? w.from;
  return Math.min(w.starts.length - 1, Math.floor((t - first) / (w.bucket === "hour" ? HOUR_MS : DAY_MS)));
}
