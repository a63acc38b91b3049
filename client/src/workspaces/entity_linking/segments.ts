import type { TextRange } from "@tessera/shared-crdt";

/**
 * A text cut into runs that share the same marks (spans, the pending selection, other people's
 * selections), so each run renders as one element. Pure: the panel draws from it.
 */
export interface Mark {
  /** `s:<spanId>`, `p` (the pending selection), `u:<clientId>` (someone's selection). */
  readonly key: string;
  readonly ranges: readonly TextRange[];
}

export interface Segment {
  readonly start: number;
  readonly end: number;
  /** The marks covering this run, in the order they were given. */
  readonly keys: readonly string[];
}

/** Cuts `[0, length)` at every mark boundary; empty and out-of-text ranges are ignored. */
export function segmentText(length: number, marks: readonly Mark[]): Segment[] {
  const cuts = new Set<number>([0, length]);
  for (const m of marks)
    for (const r of m.ranges) {
      const a = Math.max(0, Math.min(length, r.start));
      const b = Math.max(0, Math.min(length, r.end));
      if (a < b) cuts.add(a).add(b);
    }
  const points = [...cuts].sort((x, y) => x - y);
  const out: Segment[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const start = points[i] as number;
    const end = points[i + 1] as number;
    const keys = marks.filter((m) => m.ranges.some((r) => r.start <= start && r.end >= end)).map((m) => m.key);
    out.push({ start, end, keys });
  }
  return out;
}
