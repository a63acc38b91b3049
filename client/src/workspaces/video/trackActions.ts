import {
  deleteTrack,
  endTrackAt,
  extendTrack,
  glueTracklets,
  materialiseKeyframe,
  readRow,
  splitTracklet,
  transact,
  type DocContext,
  type FrameRef,
  type Origin,
} from "@tessera/shared-crdt";
import { toast, toastError } from "../../ui/toasts.js";

/**
 * The timeline's track operations, each one undo step of the person who made it: split at the
 * playhead, glue two tracks, delete, extend to the playhead, store a keyframe (K), outside (O).
 * A refusal (out of range, overlapping tracks, read-only) is said in a toast; nothing is written.
 */
export interface TrackActionContext {
  readonly docCtx: DocContext;
  readonly origin: Origin;
  /** Frame `index` (default: the playhead's) of the track's view; null when the view has no such frame. */
  frameOf(trackletId: string, index?: number): FrameRef | null;
}

function run(what: string, fn: () => void): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    toastError(err, what);
    return false;
  }
}

function range(c: TrackActionContext, id: string): { start: number; end: number } | null {
  const t = readRow(c.docCtx.doc, "tracklets", id);
  return t ? { start: Number(t.start_timestep), end: Number(t.end_timestep) } : null;
}

/** Split after the playhead's frame; both halves keep the shape shown at the cut as a keyframe. */
export function splitAtPlayhead(c: TrackActionContext, trackletId: string): boolean {
  const f = c.frameOf(trackletId);
  const r = range(c, trackletId);
  if (!f || !r) return false;
  if (f.index < r.start || f.index >= r.end) {
    toast("Put the playhead inside the track, before its last frame, to split it");
    return false;
  }
  const after = c.frameOf(trackletId, f.index + 1);
  return run("Cannot split the track", () =>
    transact(c.docCtx.doc, c.origin, () => {
      materialiseKeyframe(c.docCtx, c.origin, trackletId, f);
      // The right half starts on the frame after the cut, with the shape shown there.
      if (after) materialiseKeyframe(c.docCtx, c.origin, trackletId, after);
      splitTracklet(c.docCtx, c.origin, trackletId, f.index);
    }),
  );
}

export function glue(c: TrackActionContext, a: string, b: string): boolean {
  return run("Cannot glue the tracks", () => glueTracklets(c.docCtx, c.origin, a, b));
}

export function removeTrack(c: TrackActionContext, trackletId: string): boolean {
  return run("Cannot delete the track", () => void deleteTrack(c.docCtx, c.origin, trackletId));
}

export function extendToPlayhead(c: TrackActionContext, trackletId: string): boolean {
  const f = c.frameOf(trackletId);
  if (!f) return false;
  return run("Cannot extend the track", () => extendTrack(c.docCtx, c.origin, trackletId, f));
}

export function keyframeHere(c: TrackActionContext, trackletId: string): boolean {
  const f = c.frameOf(trackletId);
  if (!f) return false;
  return run("Cannot store a keyframe", () => void materialiseKeyframe(c.docCtx, c.origin, trackletId, f));
}

export function outsideHere(c: TrackActionContext, trackletId: string): boolean {
  const f = c.frameOf(trackletId);
  if (!f) return false;
  return run("Cannot end the track here", () => endTrackAt(c.docCtx, c.origin, trackletId, f));
}
