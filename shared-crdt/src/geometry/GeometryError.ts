/**
 * Why a geometry helper refused its input. A closed set, so callers (validators, the room,
 * importers) can map each reason to a user message or a close code without parsing text.
 */
export type GeometryErrorReason =
  /** Height/width/size not non-negative integers, or an image size that must be positive is not. */
  | "invalid-dimensions"
  /** A mask buffer whose length is not height × width. */
  | "mask-size-mismatch"
  /** A compressed RLE string with characters outside `0`..`o`, a truncated number or a bad count. */
  | "malformed-rle"
  /** Run lengths that do not add up to height × width. */
  | "rle-size-mismatch"
  /** Two masks of different sizes combined. */
  | "rle-shape-mismatch"
  /** A coordinate list of the wrong length or holding non-finite numbers. */
  | "invalid-coords"
  /** `num_points` entries that are negative, non-integer or do not match the coordinate count. */
  | "invalid-num-points"
  /** Keyframes not strictly increasing by frame index. */
  | "keyframes-not-sorted"
  /** Two keyframes of one tracklet whose shapes cannot be interpolated (point or state counts differ). */
  | "keyframe-shape-mismatch"
  /** A frame index or tracklet bound that is not an integer ≥ 0, or start > end. */
  | "invalid-tracklet-range"
  /** A split point outside `[start, end)`. */
  | "split-out-of-range"
  /** Two tracklet ranges that share frames and therefore cannot be glued. */
  | "tracklet-overlap";

/**
 * The one error type thrown by `shared-crdt/src/geometry`. Geometry runs at trust boundaries
 * (imported datasets, client edits), so bad input must fail loudly with a machine-readable
 * `reason` rather than produce a silently wrong mask or box.
 */
export class GeometryError extends Error {
  override name = "GeometryError";
  readonly reason: GeometryErrorReason;

  constructor(reason: GeometryErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}
