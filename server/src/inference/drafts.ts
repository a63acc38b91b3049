import type * as Y from "yjs";
import {
  addTrackKeyframe,
  createEntity,
  createTrack,
  readRow,
  trackKeyframes,
  isProposal,
  patchRowCells,
  randomId,
  readRowCells,
  restOrigin,
  storedReviewStatus,
  type DatasetSchema,
  type FrameRef,
} from "@tessera/shared-crdt";
import { InferenceError } from "./InferenceError.js";

/**
 * A draft mask (SPEC INF-DRAFT): a model's mask proposal in the record document, which everyone
 * on the record sees live. It is a `masks` row with `source_type: "model"`, `source_name` = the
 * model and the predicted IoU as `source_metadata.confidence` — a pending proposal of SPEC
 * D-PROPOSAL — on a new entity. Refining it (more points) replaces its mask in place while it is
 * still pending; accepting and discarding are the proposal mutators' and the row deletion's.
 */
export interface DraftMask {
  readonly model: string;
  readonly viewId: string;
  readonly mask: { readonly size: [number, number]; readonly counts: string };
  readonly score: number;
  /** The prompt that produced it, kept in `source_metadata` so a refinement can add to it. */
  readonly prompt: unknown;
  /** The frame of a video view it is drawn on (its `frame_index`); absent on an image view. */
  readonly frameIndex?: number;
}

function metadata(draft: DraftMask, previous: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...previous, confidence: draft.score, prompt: draft.prompt });
}

function parseMetadata(raw: unknown): Record<string, unknown> {
  if (typeof raw !== "string" || raw === "") return {};
  try {
    const v: unknown = JSON.parse(raw);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch (err) {
    if (err instanceof SyntaxError) return {};
    throw err;
  }
}

/** Writes a new draft (entity + mask) into `doc`; call inside the record document's edit. */
export function writeDraft(
  doc: Y.Doc,
  schema: DatasetSchema,
  recordId: string,
  userId: string,
  draft: DraftMask,
): { entityId: string; maskId: string } {
  const { entityId, annotationId } = createEntity({ doc, schema, recordId, newId: randomId }, restOrigin(userId), {
    annotation: {
      table: "masks",
      row: {
        view_id: draft.viewId,
        size: [...draft.mask.size],
        counts: draft.mask.counts,
        source_type: "model",
        source_name: draft.model,
        source_metadata: metadata(draft),
      },
    },
  });
  if (annotationId === null) throw new Error("createEntity wrote no mask");
  return { entityId, maskId: annotationId };
}

/** Replaces a pending draft's mask (a refinement); refuses a row that is not a pending model draft. */
export function refineDraft(
  doc: Y.Doc,
  maskId: string,
  draft: DraftMask,
): { entityId: string; maskId: string; trackletId: string } {
  const row = readRowCells(doc, "masks", maskId);
  if (!row) throw new InferenceError("not_found", `Draft mask '${maskId}' not found in this record.`);
  if (!isProposal(row) || row.source_type !== "model")
    throw new InferenceError("bad_prompt", `Mask '${maskId}' is not a model's draft.`);
  const status = storedReviewStatus(row);
  if (status !== "" && status !== "pending")
    throw new InferenceError("bad_prompt", `Mask '${maskId}' was already ${status}: it is no longer a draft.`);
  if (row.view_id !== draft.viewId)
    throw new InferenceError("bad_prompt", `Draft mask '${maskId}' is on another view.`);
  if (draft.frameIndex !== undefined && Number(row.frame_index) !== draft.frameIndex)
    throw new InferenceError("bad_prompt", `Draft mask '${maskId}' is on another frame.`);
  patchRowCells(doc, "masks", maskId, {
    size: [...draft.mask.size],
    counts: draft.mask.counts,
    source_name: draft.model,
    source_metadata: metadata(draft, parseMetadata(row.source_metadata)),
  });
  return {
    entityId: typeof row.entity_id === "string" ? row.entity_id : "",
    maskId,
    trackletId: typeof row.tracklet_id === "string" ? row.tracklet_id : "",
  };
}

/** Where a draft on a video frame goes: the frame, and the track it joins (or the view a new track takes). */
export interface FrameDraftTarget {
  readonly frame: FrameRef;
  /** `view_id` of a new track's tracklet (the view the annotator drew on). */
  readonly trackViewId: string;
  /** The track the draft becomes a mask keyframe of; null: a new track (entity + tracklet). */
  readonly trackletId: string | null;
}

/**
 * Writes a new draft on a video frame (SPEC INF-DRAFT): a mask keyframe on `target.frame`
 * (D-VFILE-1's columns on a video file's frame), model proposal like an image draft, either on a
 * new track (entity + tracklet + keyframe, D-TRACK-1) or on the given track (D-TRACK-7). A mask
 * the track already has on that frame is replaced only when it is a model draft still pending;
 * a person's mask or a reviewed one is refused (422), never overwritten.
 */
export function writeFrameDraft(
  doc: Y.Doc,
  schema: DatasetSchema,
  recordId: string,
  userId: string,
  draft: DraftMask,
  target: FrameDraftTarget,
): { entityId: string; maskId: string; trackletId: string } {
  const ctx = { doc, schema, recordId, newId: randomId };
  const fields = {
    size: [...draft.mask.size],
    counts: draft.mask.counts,
    source_type: "model",
    source_name: draft.model,
    source_metadata: metadata(draft),
  };
  if (target.trackletId === null) {
    const made = createTrack(ctx, restOrigin(userId), {
      viewId: target.trackViewId,
      frame: target.frame,
      table: "masks",
      fields,
    });
    return { entityId: made.entityId, maskId: made.annotationId, trackletId: made.trackletId };
  }
  const trackletId = target.trackletId;
  const track = readRow(doc, "tracklets", trackletId);
  if (!track) throw new InferenceError("not_found", `Track '${trackletId}' not found in this record.`);
  // A video file's frames have its row as view: a track of another view cannot take this frame.
  if (target.frame.frameId === "" && track.view_id !== target.frame.id)
    throw new InferenceError(
      "bad_prompt",
      `Track '${trackletId}' is on view '${String(track.view_id)}', not on '${target.frame.id}'.`,
    );
  const there = trackKeyframes(ctx, trackletId, "masks").find((k) => k.frameIndex === target.frame.index);
  if (there) {
    const row = there.row as Record<string, unknown>;
    const status = storedReviewStatus(row);
    if (!isProposal(row) || row.source_type !== "model" || (status !== "" && status !== "pending"))
      throw new InferenceError(
        "bad_prompt",
        `Track '${trackletId}' already has a mask on frame ${target.frame.index}: delete it first.`,
      );
  }
  const maskId = addTrackKeyframe(ctx, restOrigin(userId), { trackletId, table: "masks", frame: target.frame, fields });
  return { entityId: String(track.entity_id), maskId, trackletId };
}
