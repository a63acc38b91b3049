import { GeometryError } from "./GeometryError.js";

/**
 * A tracklet's frame range, `[start, end]` inclusive — Pixano's `start_timestep` /
 * `end_timestep`. Both are real frame indexes here; the `-1` "unset" sentinel is not a range.
 */
export interface TrackletRange {
  readonly start: number;
  readonly end: number;
}

function isFrame(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

/**
 * Throws `invalid-tracklet-range` unless `start` and `end` are integer frame indexes ≥ 0 with
 * `start ≤ end` (Pixano's rule: both bounds set together, start before end).
 */
export function checkTrackletRange(range: TrackletRange): void {
  if (!isFrame(range.start) || !isFrame(range.end) || range.start > range.end) {
    throw new GeometryError(
      "invalid-tracklet-range",
      `a tracklet range needs integer frames 0 <= start <= end, got [${range.start}, ${range.end}]`,
    );
  }
}

/**
 * Splits `[start, end]` "after frame `at`" into a left and a right tracklet, as Pixano's
 * "Split track after frame N": left keeps `[start, at]`, right gets `[at + 1, end]`, so no
 * frame belongs to both. `at` must satisfy `start ≤ at < end` (else `split-out-of-range`).
 *
 * Given the tracklet's keyframe indexes, each side is shrunk to its outermost keyframe as
 * Pixano does (left ends on the last keyframe ≤ `at`, right starts on the first keyframe
 * > `at`), because a tracklet should begin and end on stored shapes; a side with no keyframe
 * keeps the bound `at` / `at + 1`.
 */
export function splitTrackletRange(
  start: number,
  end: number,
  at: number,
  keyframeIndexes?: readonly number[],
): [TrackletRange, TrackletRange] {
  checkTrackletRange({ start, end });
  if (!Number.isSafeInteger(at) || at < start || at >= end) {
    throw new GeometryError("split-out-of-range", `split frame must be an integer in [${start}, ${end}), got ${at}`);
  }
  let leftEnd = at;
  let rightStart = at + 1;
  if (keyframeIndexes !== undefined) {
    let prev: number | undefined;
    let next: number | undefined;
    for (const k of keyframeIndexes) {
      if (k >= start && k <= at && (prev === undefined || k > prev)) prev = k;
      if (k > at && k <= end && (next === undefined || k < next)) next = k;
    }
    leftEnd = prev ?? leftEnd;
    rightStart = next ?? rightStart;
  }
  return [
    { start, end: leftEnd },
    { start: rightStart, end },
  ];
}

/**
 * Glues two tracklets of the same entity and view into one covering `[min start, max end]`,
 * in either argument order. Mirrors Pixano's "Glue to left/right": the ranges must be
 * disjoint — adjacent (`a.end + 1 === b.start`) or separated by a gap, which the glued
 * tracklet then bridges by interpolation. Overlapping ranges would give one frame two shapes,
 * so they throw `tracklet-overlap`.
 */
export function glueTrackletRanges(a: TrackletRange, b: TrackletRange): TrackletRange {
  checkTrackletRange(a);
  checkTrackletRange(b);
  const [left, right] = a.start <= b.start ? [a, b] : [b, a];
  if (left.end >= right.start) {
    throw new GeometryError(
      "tracklet-overlap",
      `tracklets [${left.start}, ${left.end}] and [${right.start}, ${right.end}] overlap; only disjoint tracklets can be glued`,
    );
  }
  return { start: left.start, end: right.end };
}
