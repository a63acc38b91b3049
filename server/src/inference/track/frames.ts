import type { DatasetHandle } from "@tessera/dataset";
import type { FrameRef } from "@tessera/shared-crdt";
import { InferenceError } from "../InferenceError.js";

/**
 * The frames a track runs over: the record's `sequence_frames` rows of the track's view (the
 * logical view of the frame row its tracklet's `view_id` names), by frame index. A track on a
 * video file (`videos` row) is refused with a clear error: its frames have no rows to read.
 */
export interface TrackFrame {
  readonly ref: FrameRef;
}

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : Number.NaN);

/** Frames of the track's view by frame index (a gap in the indices is a missing frame). */
export async function framesOfTrack(
  handle: DatasetHandle,
  recordId: string,
  viewId: string,
): Promise<Map<number, TrackFrame>> {
  if (!handle.schema.tables.has("sequence_frames")) {
    const isFile = handle.schema.tables.has("videos") && (await handle.get("videos", viewId, ["id"])) !== null;
    throw new InferenceError(
      "bad_image",
      isFile
        ? "tracking runs on image-sequence views (sequence_frames); this track is on a video file"
        : `the dataset has no video frames (view '${viewId}')`,
    );
  }
  const own = await handle.get("sequence_frames", viewId, ["id", "record_id", "logical_name"]);
  if (!own || str(own.record_id) !== recordId)
    throw new InferenceError("not_found", `View '${viewId}' of the track is not a frame of record '${recordId}'.`);
  const rows = (
    await handle.query("sequence_frames", {
      where: { record_id: recordId },
      columns: ["id", "logical_name", "frame_index", "timestamp"],
    })
  ).items;
  const out = new Map<number, TrackFrame>();
  for (const r of rows) {
    if (str(r.logical_name) !== str(own.logical_name)) continue;
    const index = num(r.frame_index);
    if (!Number.isInteger(index) || index < 0 || out.has(index)) continue;
    const ts = num(r.timestamp);
    out.set(index, { ref: { index, id: str(r.id), timestamp: Number.isFinite(ts) ? ts : -1 } });
  }
  return out;
}
