import * as Y from "yjs";
import {
  addTrackKeyframe,
  cellOfMap,
  int64Number,
  patchRow,
  randomId,
  readRow,
  restOrigin,
  storedReviewStatus,
  tableMap,
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

/** One tracked frame waiting to be written. */
export interface TrackedFrame {
  readonly frame: FrameRef;
  /** [height, width] of the frame. */
  readonly size: readonly [number, number];
  readonly box: TrackBox;
  readonly score: number;
  readonly mask?: TrackedMask;
}

/** What a batch write did: how many of the frames (in order) it wrote, and why it stopped short, if it did. */
export interface BatchOutcome {
  readonly written: number;
  /** `keyframe`: frame `at` holds a keyframe the run must not overwrite; `track_gone`: the track was deleted. */
  readonly stop: Exclude<WriteOutcome, "written"> | null;
  /** The frame the run stopped on (`stop` set), else -1. */
  readonly at: number;
}

/**
 * The track's keyframes in `table` on the frames `on` (the first row by id on a frame, as
 * {@link trackKeyframes} keeps it), read cell by cell: a batch looks at its own frames, not at a
 * copy of every row of the table.
 */
function keyframesOn(
  doc: Y.Doc,
  table: "bboxes" | "masks",
  trackletId: string,
  on: ReadonlySet<number>,
): Map<number, Record<string, unknown>> {
  const ids = new Map<number, string>();
  for (const [id, m] of tableMap(doc, table)) {
    if (!(m instanceof Y.Map) || cellOfMap(table, m, "tracklet_id") !== trackletId) continue;
    const raw = cellOfMap(table, m, "frame_index");
    if (raw === undefined) continue;
    const f = int64Number(raw);
    const first = ids.get(f);
    if (on.has(f) && (first === undefined || id.localeCompare(first) < 0)) ids.set(f, id);
  }
  const out = new Map<number, Record<string, unknown>>();
  for (const [f, id] of ids) {
    const row = readRow(doc, table, id);
    if (row) out.set(f, row as Record<string, unknown>);
  }
  return out;
}

/**
 * Writes tracked frames, in order, as proposed keyframes of the track; call inside the record
 * document's edit (one transaction for the batch). The track is read once for the batch; the
 * stop rules are those of a frame-by-frame run: the first frame holding a keyframe the run must
 * not overwrite (a person's, or a reviewed proposal, including one added while the run was
 * tracking ahead) stops the batch there, that frame and the later ones unwritten.
 */
export function writeTrackedFrames(
  doc: Y.Doc,
  schema: DatasetSchema,
  recordId: string,
  userId: string,
  run: { readonly trackletId: string; readonly model: string; readonly jobId: string },
  frames: readonly TrackedFrame[],
): BatchOutcome {
  if (!readRow(doc, "tracklets", run.trackletId))
    return { written: 0, stop: "track_gone", at: frames[0]?.frame.index ?? -1 };
  const on = new Set(frames.map((f) => f.frame.index));
  const boxes = keyframesOn(doc, "bboxes", run.trackletId, on);
  const masks = frames.some((f) => f.mask)
    ? keyframesOn(doc, "masks", run.trackletId, on)
    : new Map<number, Record<string, unknown>>();
  const ctx = { doc, schema, recordId, newId: randomId };
  // The stop rules are known before writing: the frames up to the first one the run must not overwrite.
  let count = 0;
  let stopAt = -1;
  for (const input of frames) {
    const there = boxes.get(input.frame.index);
    if (there && !replaceable(there, run.model)) {
      stopAt = input.frame.index;
      break;
    }
    count++;
  }
  spanFrames(doc, run.trackletId, frames.slice(0, count));
  for (const input of frames.slice(0, count)) {
    const [h, w] = input.size;
    const [x, y, bw, bh] = input.box;
    const metadata = { confidence: input.score, job_id: run.jobId, tracker: true, review_status: "pending" };
    const mask = input.mask;
    if (mask) {
      // The mask goes with the box: a mask keyframe people made or reviewed on this frame stays.
      const kept = masks.get(input.frame.index);
      if (!kept || replaceable(kept, mask.model))
        addTrackKeyframe(ctx, restOrigin(userId), {
          trackletId: run.trackletId,
          table: "masks",
          frame: input.frame,
          existingId: kept ? String(kept.id) : null,
          fields: {
            size: [...mask.size],
            counts: mask.counts,
            source_type: "model",
            source_name: mask.model,
            source_metadata: JSON.stringify({
              confidence: mask.score,
              job_id: run.jobId,
              tracker: run.model,
              review_status: "pending",
            }),
          },
        });
    }
    const there = boxes.get(input.frame.index);
    addTrackKeyframe(ctx, restOrigin(userId), {
      trackletId: run.trackletId,
      table: "bboxes",
      frame: input.frame,
      existingId: there ? String(there.id) : null,
      fields: {
        coords: [x / w, y / h, Math.min(1, bw / w), Math.min(1, bh / h)],
        format: "xywh",
        is_normalized: true,
        confidence: input.score,
        source_type: "model",
        source_name: run.model,
        source_metadata: JSON.stringify(metadata),
      },
    });
  }
  return count < frames.length
    ? { written: count, stop: "keyframe", at: stopAt }
    : { written: count, stop: null, at: -1 };
}

/**
 * Grows the track's range (timesteps, and timestamps where the frames have them) to cover `frames`
 * once for the batch: each keyframe then lies inside it, and the tracklet row is patched once, not
 * twice per frame.
 */
function spanFrames(doc: Y.Doc, trackletId: string, frames: readonly TrackedFrame[]): void {
  const t = readRow(doc, "tracklets", trackletId);
  if (!t || frames.length === 0) return;
  let start = int64Number(t.start_timestep);
  let end = int64Number(t.end_timestep);
  const patch: Record<string, number> = {};
  for (const { frame } of frames) {
    if (frame.index < start) {
      start = frame.index;
      patch.start_timestep = frame.index;
      if (frame.timestamp >= 0) patch.start_timestamp = frame.timestamp;
    }
    if (frame.index > end) {
      end = frame.index;
      patch.end_timestep = frame.index;
      if (frame.timestamp >= 0) patch.end_timestamp = frame.timestamp;
    }
  }
  if (Object.keys(patch).length > 0) patchRow(doc, "tracklets", trackletId, patch);
}
