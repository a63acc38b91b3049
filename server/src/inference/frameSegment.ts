import type { DatasetHandle } from "@tessera/dataset";
import type { FrameRef, SegmentPrompt } from "@tessera/shared-crdt";
import { InferenceError } from "./InferenceError.js";
import type { InferenceService, SegmentResult } from "./InferenceService.js";
import { framesOfTrack } from "./track/frames.js";

/**
 * Click-to-segment on a frame of a video record: a frame of an image sequence (its own
 * `sequence_frames` row, segmented like an image view) or frame `frameIndex` of a video file (a
 * `videos` row, SPEC D-VFILE-1/2: no row per frame). A video file's frame is decoded by ffmpeg
 * through the service's video frame decoder (its frames cached), and only when the inference
 * worker has no embedding for it: the embedding is cached under the frame's key (the video row,
 * its file's identity and the frame index), so the next clicks on that frame run the decoder alone.
 */
export interface FrameSegment {
  readonly result: SegmentResult;
  readonly recordId: string;
  /** The frame the mask row is written on (`view_id`, `frame_id`, `frame_index`). */
  readonly frame: FrameRef;
  /** `view_id` of a new track's tracklet. */
  readonly trackViewId: string;
}

/** Decoded frames are kept at most this large before the resize to the encoder's input. */
const MAX_DECODED_SIDE = 2048;

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : Number.NaN);

/**
 * Segments `viewId` when it is a frame of a video record; null when it is neither a
 * `sequence_frames` row nor a `videos` row (an image view: the caller's).
 */
export async function segmentFrame(
  service: InferenceService,
  input: {
    readonly model: string;
    readonly datasetId: string;
    readonly viewId: string;
    /** The frame of a video file (required there); on a sequence frame, checked against its row. */
    readonly frameIndex: number | null;
    /** The view a new track takes (the annotator's tile); default: the clicked frame's view. */
    readonly trackViewId: string | null;
    readonly prompt: SegmentPrompt;
  },
): Promise<FrameSegment | null> {
  const handle = await service.dataset(input.datasetId);
  if (handle.schema.tables.has("sequence_frames")) {
    const row = await handle.get("sequence_frames", input.viewId, [
      "id",
      "record_id",
      "logical_name",
      "frame_index",
      "timestamp",
    ]);
    if (row) return sequenceFrame(service, handle, input, row);
  }
  if (handle.schema.tables.has("videos")) {
    const row = await handle.get("videos", input.viewId, ["id", "record_id", "width", "height"]);
    if (row) return videoFileFrame(service, handle, input, row);
  }
  return null;
}

async function sequenceFrame(
  service: InferenceService,
  handle: DatasetHandle,
  input: Parameters<typeof segmentFrame>[1],
  row: Readonly<Record<string, unknown>>,
): Promise<FrameSegment> {
  const index = num(row.frame_index);
  if (!Number.isInteger(index) || index < 0)
    throw new InferenceError("bad_prompt", `Frame '${input.viewId}' has no frame_index.`);
  if (input.frameIndex !== null && input.frameIndex !== index)
    throw new InferenceError(
      "bad_prompt",
      `View '${input.viewId}' is frame ${index} of its sequence, not frame ${input.frameIndex}.`,
    );
  const recordId = str(row.record_id);
  let trackViewId = input.viewId;
  if (input.trackViewId !== null && input.trackViewId !== input.viewId) {
    const other = await handle.get("sequence_frames", input.trackViewId, ["id", "record_id", "logical_name"]);
    if (!other || str(other.record_id) !== recordId || str(other.logical_name) !== str(row.logical_name))
      throw new InferenceError(
        "bad_prompt",
        `track_view_id '${input.trackViewId}' is not a frame of the same view as '${input.viewId}'.`,
      );
    trackViewId = input.trackViewId;
  }
  const ts = num(row.timestamp);
  const result = await service.segment({
    model: input.model,
    datasetId: input.datasetId,
    viewId: input.viewId,
    prompt: input.prompt,
  });
  return {
    result,
    recordId,
    frame: { index, id: input.viewId, timestamp: Number.isFinite(ts) ? ts : -1 },
    trackViewId,
  };
}

async function videoFileFrame(
  service: InferenceService,
  handle: DatasetHandle,
  input: Parameters<typeof segmentFrame>[1],
  row: Readonly<Record<string, unknown>>,
): Promise<FrameSegment> {
  const index = input.frameIndex;
  if (index === null)
    throw new InferenceError(
      "bad_prompt",
      `View '${input.viewId}' is a video file: say which of its frames to segment (frame_index).`,
    );
  if (input.trackViewId !== null && input.trackViewId !== input.viewId)
    throw new InferenceError("bad_prompt", `A track on video '${input.viewId}' has that video as its view.`);
  // Refuse an unknown model before anything is decoded.
  await service.model(input.model);
  const recordId = str(row.record_id);
  const frames = await framesOfTrack({
    handle,
    recordId,
    viewId: input.viewId,
    video: () => service.videoFrames(),
    mediaDir: service.mediaDir,
    maxSide: MAX_DECODED_SIDE,
  });
  try {
    const ref = frames.frames.get(index);
    if (!ref) throw new InferenceError("not_found", `Video '${input.viewId}' has no frame ${index}.`);
    const key = frames.pixelsKey(index);
    if (key === null) throw new Error(`video '${input.viewId}' gave no embedding key`);
    const w = num(row.width);
    const h = num(row.height);
    // The row's size is the frame's (as the workspace shows it); decoded only when the row has none.
    const size: [number, number] = w > 0 && h > 0 ? [h, w] : (await frames.read(index)).size;
    const result = await service.segmentPixels({
      model: input.model,
      key,
      size,
      pixels: async () => (await frames.read(index)).image,
      prompt: input.prompt,
    });
    return { result, recordId, frame: ref, trackViewId: input.viewId };
  } finally {
    frames.close();
  }
}
