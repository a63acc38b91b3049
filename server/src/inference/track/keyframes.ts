import type * as Y from "yjs";
import {
  addTrackKeyframe,
  int64Number,
  randomId,
  readRow,
  restOrigin,
  storedReviewStatus,
  trackKeyframes,
  trackShapeAt,
  type DatasetSchema,
  type FrameRef,
  type TrackBox,
  type TrackKeyframe,
} from "@tessera/shared-crdt";

/**
 * A tracking run's reads and writes in the record document. The run starts from the box the
 * track shows on the start frame (a keyframe, or interpolated) and writes each tracked frame as a
 * keyframe of the track that is a model proposal (SPEC D-PROPOSAL): `source_type: "model"`,
 * `source_name` = the model, the tracker's confidence as the box's `confidence` and in
 * `source_metadata`, with `review_status: "pending"` there, as pre-annotation jobs write them. A
 * keyframe already on a frame stops the run there unless it is this model's proposal nobody
 * reviewed yet (a run again replaces its own pending proposals; people's boxes and reviewed
 * proposals stay).
 */
export interface TrackInDoc {
  readonly viewId: string;
  readonly start: number;
  readonly end: number;
  readonly keyframes: readonly TrackKeyframe<"bboxes">[];
  /** Whether the track has mask keyframes (a run then proposes a mask on each frame too, when it can). */
  readonly hasMasks: boolean;
}

export function readTrack(doc: Y.Doc, trackletId: string): TrackInDoc | null {
  const t = readRow(doc, "tracklets", trackletId);
  if (!t) return null;
  return {
    viewId: String(t.view_id),
    start: int64Number(t.start_timestep),
    end: int64Number(t.end_timestep),
    keyframes: trackKeyframes({ doc }, trackletId, "bboxes"),
    hasMasks: trackKeyframes({ doc }, trackletId, "masks").length > 0,
  };
}

/** Whether a keyframe is `model`'s proposal still pending review (a new run may replace it). */
function replaceable(row: Readonly<Record<string, unknown>>, model: string): boolean {
  if (row.source_type !== "model" || row.source_name !== model) return false;
  const s = storedReviewStatus(row);
  return s === "" || s === "pending";
}

/** The first frame after `from` holding a keyframe the run must not overwrite, or null. */
export function nextFixedKeyframe(track: TrackInDoc, from: number, model: string): number | null {
  for (const k of track.keyframes)
    if (k.frameIndex > from && !replaceable(k.row as Record<string, unknown>, model)) return k.frameIndex;
  return null;
}

const num = (v: unknown): number => (typeof v === "number" && Number.isFinite(v) ? v : Number.NaN);

/** The box the track shows on `frame`, xywh in the view's pixels; null when it shows none. */
export function boxAt(track: TrackInDoc, frame: number, size: readonly [number, number]): TrackBox | null {
  const shape = trackShapeAt(track.keyframes, { start: track.start, end: track.end }, frame);
  if (!shape || !Array.isArray(shape.coords) || shape.coords.length !== 4) return null;
  const [a, b, c, d] = (shape.coords as unknown[]).map(num);
  if (a === undefined || b === undefined || c === undefined || d === undefined) return null;
  const [h, w] = size;
  const k = shape.is_normalized === true ? [w, h] : [1, 1];
  const [kx = 1, ky = 1] = k;
  const x = a * kx;
  const y = b * ky;
  const bw = shape.format === "xyxy" ? (c - a) * kx : c * kx;
  const bh = shape.format === "xyxy" ? (d - b) * ky : d * ky;
  if (![x, y, bw, bh].every(Number.isFinite) || !(bw > 0 && bh > 0)) return null;
  return [x, y, bw, bh];
}

export type WriteOutcome = "written" | "keyframe" | "track_gone";

/** A mask the segmentation model drew in the tracked box: COCO RLE at the frame's size. */
export interface TrackedMask {
  readonly model: string;
  readonly size: readonly [number, number];
  readonly counts: string;
  readonly score: number;
}

/** Writes one tracked frame as a proposed keyframe of the track; call inside the record document's edit. */
export function writeTrackedFrame(
  doc: Y.Doc,
  schema: DatasetSchema,
  recordId: string,
  userId: string,
  input: {
    readonly trackletId: string;
    readonly model: string;
    readonly jobId: string;
    readonly frame: FrameRef;
    /** [height, width] of the frame. */
    readonly size: readonly [number, number];
    readonly box: TrackBox;
    readonly score: number;
    readonly mask?: TrackedMask;
  },
): WriteOutcome {
  const track = readTrack(doc, input.trackletId);
  if (!track) return "track_gone";
  const there = track.keyframes.find((k) => k.frameIndex === input.frame.index);
  if (there && !replaceable(there.row as Record<string, unknown>, input.model)) return "keyframe";
  const [h, w] = input.size;
  const [x, y, bw, bh] = input.box;
  const metadata = { confidence: input.score, job_id: input.jobId, tracker: true, review_status: "pending" };
  const ctx = { doc, schema, recordId, newId: randomId };
  const mask = input.mask;
  if (mask) {
    // The mask goes with the box: a mask keyframe people made or reviewed on this frame stays.
    const kept = trackKeyframes({ doc }, input.trackletId, "masks").find((k) => k.frameIndex === input.frame.index);
    if (!kept || replaceable(kept.row as Record<string, unknown>, mask.model))
      addTrackKeyframe(ctx, restOrigin(userId), {
        trackletId: input.trackletId,
        table: "masks",
        frame: input.frame,
        fields: {
          size: [...mask.size],
          counts: mask.counts,
          source_type: "model",
          source_name: mask.model,
          source_metadata: JSON.stringify({
            confidence: mask.score,
            job_id: input.jobId,
            tracker: input.model,
            review_status: "pending",
          }),
        },
      });
  }
  addTrackKeyframe(ctx, restOrigin(userId), {
    trackletId: input.trackletId,
    table: "bboxes",
    frame: input.frame,
    fields: {
      coords: [x / w, y / h, Math.min(1, bw / w), Math.min(1, bh / h)],
      format: "xywh",
      is_normalized: true,
      confidence: input.score,
      source_type: "model",
      source_name: input.model,
      source_metadata: JSON.stringify(metadata),
    },
  });
  return "written";
}
