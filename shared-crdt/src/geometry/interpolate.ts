import { GeometryError } from "./GeometryError.js";
import { checkFlatCoords } from "./normalize.js";

/**
 * A stored bbox on one keyframe of a tracklet: its `frame_index` and its 4 `coords` (any
 * single format and unit — linear interpolation commutes with xywh⇄xyxy and with scaling).
 */
export interface BBoxKeyframe {
  readonly frameIndex: number;
  readonly coords: readonly number[];
}

/** Stored keypoints on one keyframe: flat `coords` and one `states` entry per point. */
export interface KeypointsKeyframe {
  readonly frameIndex: number;
  readonly coords: readonly number[];
  readonly states: readonly string[];
}

/** The keypoints shown on a frame: interpolated positions and the states they carry. */
export interface InterpolatedKeypoints {
  coords: number[];
  states: string[];
}

interface Bracket<K> {
  readonly before: K;
  readonly after: K;
}

/**
 * Finds the keyframes around `frameIndex` (binary search after an O(n) order check), or
 * undefined outside `[first, last]`. An exact hit returns the same keyframe twice.
 */
function bracket<K extends { readonly frameIndex: number }>(
  keyframes: readonly K[],
  frameIndex: number,
): Bracket<K> | undefined {
  if (!Number.isFinite(frameIndex)) {
    throw new GeometryError("invalid-tracklet-range", `frame index must be finite, got ${frameIndex}`);
  }
  for (let i = 0; i < keyframes.length; i += 1) {
    const f = keyframes[i]?.frameIndex ?? Number.NaN;
    const prev = i > 0 ? (keyframes[i - 1]?.frameIndex ?? Number.NaN) : Number.NEGATIVE_INFINITY;
    if (!Number.isFinite(f) || !(f > prev)) {
      throw new GeometryError(
        "keyframes-not-sorted",
        `keyframe ${i} (frame ${f}) is not after keyframe ${i - 1} (frame ${prev})`,
      );
    }
  }
  const first = keyframes[0];
  const last = keyframes[keyframes.length - 1];
  if (first === undefined || last === undefined || frameIndex < first.frameIndex || frameIndex > last.frameIndex) {
    return undefined;
  }
  // Invariant: keyframes[lo].frameIndex <= frameIndex < keyframes[hi].frameIndex (or hi past end).
  let lo = 0;
  let hi = keyframes.length;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if ((keyframes[mid]?.frameIndex ?? Number.POSITIVE_INFINITY) <= frameIndex) lo = mid;
    else hi = mid;
  }
  const before = keyframes[lo] ?? first;
  const after = before.frameIndex === frameIndex ? before : (keyframes[hi] ?? last);
  return { before, after };
}

/**
 * Linear interpolation of two equal-length coordinate lists, written as Pixano's UI writes it
 * (`start + (end − start) / span × offset`) so displayed values match it to the last bit.
 */
function lerpCoords(start: readonly number[], end: readonly number[], f0: number, f1: number, f: number): number[] {
  const span = f1 - f0;
  const offset = f - f0;
  return start.map((s, i) => s + (((end[i] ?? s) - s) / span) * offset);
}

/**
 * The bbox a tracklet shows at `frameIndex` (spec §2.7): Pixano stores boxes on keyframes
 * only and linearly interpolates x, y, w, h in between at display time. `keyframes` must be
 * sorted by strictly increasing frame index. Bounds are inclusive: on a keyframe its own
 * coords (a copy) come back; before the first or after the last keyframe the tracklet shows
 * nothing and the result is undefined. Throws `keyframes-not-sorted` or `invalid-coords`.
 */
export function interpolateBBox(keyframes: readonly BBoxKeyframe[], frameIndex: number): number[] | undefined {
  const found = bracket(keyframes, frameIndex);
  if (found === undefined) return undefined;
  const { before, after } = found;
  for (const k of [before, after]) {
    if (k.coords.length !== 4) {
      throw new GeometryError(
        "invalid-coords",
        `bbox keyframe at frame ${k.frameIndex} has ${k.coords.length} coords, expected 4`,
      );
    }
    checkFlatCoords(k.coords);
  }
  if (before === after) return [...before.coords];
  return lerpCoords(before.coords, after.coords, before.frameIndex, after.frameIndex, frameIndex);
}

/**
 * The keypoints a tracklet shows at `frameIndex`: each point's x and y interpolated linearly
 * between the surrounding keyframes, while the visibility states are the previous keyframe's
 * (a state is categorical, so Pixano carries it forward rather than blending). Same bounds and
 * ordering rules as `interpolateBBox`; throws `keyframe-shape-mismatch` when the two keyframes
 * disagree on the number of points or a keyframe has not one state per point.
 */
export function interpolateKeypoints(
  keyframes: readonly KeypointsKeyframe[],
  frameIndex: number,
): InterpolatedKeypoints | undefined {
  const found = bracket(keyframes, frameIndex);
  if (found === undefined) return undefined;
  const { before, after } = found;
  for (const k of [before, after]) {
    checkFlatCoords(k.coords);
    if (k.states.length * 2 !== k.coords.length) {
      throw new GeometryError(
        "keyframe-shape-mismatch",
        `keypoints keyframe at frame ${k.frameIndex} has ${k.coords.length / 2} points but ${k.states.length} states`,
      );
    }
  }
  if (before.coords.length !== after.coords.length) {
    throw new GeometryError(
      "keyframe-shape-mismatch",
      `keypoints keyframes at frames ${before.frameIndex} and ${after.frameIndex} have different point counts`,
    );
  }
  const states = [...before.states];
  if (before === after) return { coords: [...before.coords], states };
  return { coords: lerpCoords(before.coords, after.coords, before.frameIndex, after.frameIndex, frameIndex), states };
}
