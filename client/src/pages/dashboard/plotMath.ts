/**
 * The dashboard's plot arithmetic, pure: linear scales, round axis ticks, stacked series, bar layout and the
 * labels of durations and time buckets. The SVG components only place what these compute.
 */

export interface Scale {
  (v: number): number;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
}

/** Maps `domain` linearly onto `range`; an empty domain (lo = hi) maps everything to the range's start. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): Scale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const f = (v: number) => (span === 0 ? r0 : r0 + ((v - d0) / span) * (r1 - r0));
  return Object.assign(f, { domain, range });
}

/** A round step (1, 2 or 5 × 10ⁿ) giving about `count` intervals over `span`. */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !(count > 0)) return 1;
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const mult = norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 5 ? 5 : 10;
  return mult * mag;
}

/**
 * Axis ticks from 0 (or `min` when below 0) to a round value at or above `max`, about `count` intervals:
 * the last tick is the axis' top, so bars never run past it. Integer data (`integer`) never gets fractional ticks.
 */
export function niceTicks(min: number, max: number, count = 5, integer = false): number[] {
  const lo = Math.min(0, min);
  const hi = Math.max(lo, max);
  let step = niceStep(hi - lo, count);
  if (integer) step = Math.max(1, Math.round(step));
  if (hi === lo) return [lo, lo + step];
  const first = Math.floor(lo / step) * step;
  const ticks: number[] = [];
  for (let v = first; v < hi + step / 2; v += step) ticks.push(Math.round(v / step) * step);
  if ((ticks[ticks.length - 1] ?? 0) < hi) ticks.push((ticks[ticks.length - 1] ?? 0) + step);
  return ticks;
}

/** One band of a stacked chart: per point, the band's bottom and top. */
export interface StackBand<K extends string> {
  readonly key: K;
  readonly lower: readonly number[];
  readonly upper: readonly number[];
}

/** Stacks `keys` of each point in order (the first at the bottom). */
export function stack<K extends string>(
  points: ReadonlyArray<Readonly<Record<K, number>>>,
  keys: readonly K[],
): StackBand<K>[] {
  const base = points.map(() => 0);
  return keys.map((key) => {
    const lower = [...base];
    points.forEach((p, i) => (base[i] = (base[i] ?? 0) + Math.max(0, p[key])));
    return { key, lower, upper: [...base] };
  });
}

/** The SVG path of a band between its lower and upper lines, over x positions. */
export function bandPath(xs: readonly number[], lower: readonly number[], upper: readonly number[]): string {
  if (xs.length === 0) return "";
  const fmt = (n: number) => (Math.round(n * 10) / 10).toString();
  const top = xs.map((x, i) => `${i === 0 ? "M" : "L"}${fmt(x)},${fmt(upper[i] ?? 0)}`);
  const bottom = xs.map((_, j) => {
    const i = xs.length - 1 - j;
    return `L${fmt(xs[i] ?? 0)},${fmt(lower[i] ?? 0)}`;
  });
  return `${top.join("")}${bottom.join("")}Z`;
}

/** Bars in a band of `width`: each bar's offset and width, with `gap` (fraction of a slot) between them. */
export function barSlots(n: number, width: number, gap = 0.2): { x: number; w: number }[] {
  if (n <= 0) return [];
  const slot = width / n;
  const w = Math.max(1, slot * (1 - gap));
  return Array.from({ length: n }, (_, i) => ({ x: i * slot + (slot - w) / 2, w }));
}

/** Top `n` entries by count (ties by label), the rest summed as one `others` entry (absent when zero). */
export function topCategories(
  items: ReadonlyArray<{ readonly label: string; readonly count: number }>,
  n: number,
  othersLabel = "others",
): { label: string; count: number }[] {
  const sorted = [...items].sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  const head = sorted.slice(0, n).map((i) => ({ ...i }));
  const rest = sorted.slice(n).reduce((a, i) => a + i.count, 0);
  return rest > 0 ? [...head, { label: othersLabel, count: rest }] : head;
}

/** `42 s`, `3 min 20 s`, `1 h 05 min`, `2 d 3 h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ""}`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
  return `${Math.floor(s / 86_400)} d ${Math.floor((s % 86_400) / 3600)} h`;
}

/** A bucket's label: `Mar 9` for days, `Mar 9 14:00` for hours (UTC, as the server buckets). */
export function bucketLabel(iso: string, bucket: "hour" | "day"): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const day = `${months[d.getUTCMonth()] ?? ""} ${d.getUTCDate()}`;
  return bucket === "day" ? day : `${day} ${String(d.getUTCHours()).padStart(2, "0")}:00`;
}

/** At most `max` evenly spaced indexes of `n` items, the first and the last included: which ticks get a label. */
export function labelIndexes(n: number, max: number): number[] {
  if (n <= 0) return [];
  if (n <= max) return Array.from({ length: n }, (_, i) => i);
  const step = Math.ceil((n - 1) / (max - 1));
  const out: number[] = [];
  for (let i = 0; i < n - 1; i += step) out.push(i);
  if (out[out.length - 1] !== n - 1) {
    // Keep the last label clear of the one before it.
    if (n - 1 - (out[out.length - 1] ?? 0) < step / 2) out.pop();
    out.push(n - 1);
  }
  return out;
}
