import { readFile, stat } from "node:fs/promises";
import { isRemoteUri, MediaError, resolveMediaPath, type DatasetHandle } from "@tessera/dataset";
import type { EncodedImage, FrameRef } from "@tessera/shared-crdt";
import { VideoDecodeError } from "../../video/ffmpegFrames.js";
import { AbortedError, DecoderBusyError } from "../../video/limits.js";
import type { VideoFrameService, VideoSource } from "../../video/videoFrameService.js";
import { storedSize } from "../imageHeader.js";
import { InferenceError } from "../InferenceError.js";
import { videoFrameKey } from "../InferenceService.js";

/**
 * The frames a track runs over, and their pictures for the tracker. A track on an image sequence
 * reads the record's `sequence_frames` rows of its view (the logical view of the frame row its
 * tracklet's `view_id` names), by frame index, each from its image file. A track on a video
 * file (`view_id` = a `videos` row: SPEC D-VFILE-1) has `num_frames` frames at `fps` from
 * `from_timestamp`, decoded by ffmpeg through the server's video frame service in batches (as JPEG).
 * A frame's picture is its file, sent to the inference worker to decode (protocol `images.ts`):
 * the server reads only its header.
 */
export interface FrameImage {
  /** The frame's file, to be decoded at most `maxSide` on its longest side. */
  readonly image: EncodedImage;
  /** [height, width] of the frame: boxes are in these pixels. */
  readonly size: [number, number];
}

export interface TrackFrames {
  readonly frames: ReadonlyMap<number, FrameRef>;
  read(index: number): Promise<FrameImage>;
  /**
   * The embedding-cache key of a video file's frame (its pixels come from `read`, not from a
   * view row: {@link videoFrameKey}); null for an image sequence's frames, segmented by view id.
   */
  pixelsKey(index: number): string | null;
  close(): void;
}

/** Frames a video file's decoder is asked for at once (the frame route's batch). */
const VIDEO_BATCH = 16;

const str = (v: unknown): string => (typeof v === "string" ? v : "");
const num = (v: unknown): number => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : Number.NaN);

/** `bytes` (an image file) to be decoded so its longest side is at most `maxSide`, with its stored size. */
async function frameImage(bytes: Uint8Array, maxSide: number, what: string): Promise<FrameImage> {
  const stored = await storedSize(bytes);
  if (!stored) throw new InferenceError("bad_image", `${what} cannot be decoded (no image size in its header)`);
  const { width, height } = stored;
  const k = Math.min(1, maxSide / Math.max(width, height));
  return {
    image: {
      encoded: bytes,
      width: Math.max(1, Math.round(width * k)),
      height: Math.max(1, Math.round(height * k)),
    },
    size: [height, width],
  };
}

/** The frames of the track whose tracklet's `view_id` is `viewId`. */
export async function framesOfTrack(input: {
  readonly handle: DatasetHandle;
  readonly recordId: string;
  readonly viewId: string;
  readonly video: () => VideoFrameService;
  readonly mediaDir: string;
  readonly maxSide: number;
}): Promise<TrackFrames> {
  const { handle, viewId } = input;
  if (handle.schema.tables.has("sequence_frames")) {
    const own = await handle.get("sequence_frames", viewId, ["id", "record_id", "logical_name"]);
    if (own) return sequenceFrames(input, str(own.logical_name), str(own.record_id));
  }
  if (handle.schema.tables.has("videos")) return videoFrames(input);
  throw new InferenceError("not_found", `View '${viewId}' of the track is not a frame of record '${input.recordId}'.`);
}

async function sequenceFrames(
  input: Parameters<typeof framesOfTrack>[0],
  logicalName: string,
  ownerRecord: string,
): Promise<TrackFrames> {
  const { handle, recordId } = input;
  if (ownerRecord !== recordId)
    throw new InferenceError(
      "not_found",
      `View '${input.viewId}' of the track is not a frame of record '${recordId}'.`,
    );
  const rows = (
    await handle.query("sequence_frames", {
      where: { record_id: recordId },
      columns: ["id", "logical_name", "frame_index", "timestamp", "uri", "width", "height"],
    })
  ).items;
  const frames = new Map<number, FrameRef>();
  // What decoding needs, listed once: a frame costs a file read, not two dataset reads.
  const files = new Map<number, { uri: string; size: [number, number] | null }>();
  for (const r of rows) {
    if (str(r.logical_name) !== logicalName) continue;
    const index = num(r.frame_index);
    if (!Number.isInteger(index) || index < 0 || frames.has(index)) continue;
    const ts = num(r.timestamp);
    frames.set(index, { index, id: str(r.id), timestamp: Number.isFinite(ts) ? ts : -1 });
    const w = num(r.width);
    const h = num(r.height);
    files.set(index, { uri: str(r.uri), size: w > 0 && h > 0 ? [h, w] : null });
  }
  const bytesOf = async (id: string, uri: string): Promise<Uint8Array> => {
    if (uri !== "" && !isRemoteUri(uri)) {
      try {
        return await readFile(await resolveMediaPath(input.mediaDir, uri));
      } catch (err) {
        if (err instanceof MediaError || (err as NodeJS.ErrnoException).code === "ENOENT")
          throw new InferenceError("bad_image", `the image of frame '${id}' cannot be read: ${(err as Error).message}`);
        throw err;
      }
    }
    // No local file: the row's embedded bytes.
    const raw = (await handle.get("sequence_frames", id, ["id", "raw_bytes"]))?.raw_bytes;
    if (raw instanceof Uint8Array && raw.length > 0) return raw;
    throw new InferenceError("bad_image", `frame '${id}' has no local image (${uri === "" ? "no uri" : "remote"})`);
  };
  return {
    frames,
    async read(index) {
      const ref = frames.get(index);
      const file = files.get(index);
      if (!ref || !file) throw new InferenceError("not_found", `no frame ${index}`);
      const read = await frameImage(await bytesOf(ref.id, file.uri), input.maxSide, `the image of frame '${ref.id}'`);
      // Boxes are in the row's pixels when it says its size (as everywhere else); the file's size otherwise.
      return file.size ? { image: read.image, size: file.size } : read;
    },
    pixelsKey: () => null,
    close() {},
  };
}

async function videoFrames(input: Parameters<typeof framesOfTrack>[0]): Promise<TrackFrames> {
  const { handle, viewId, recordId } = input;
  const present = new Set(handle.schema.tables.get("videos")?.columns.map((c) => c.name) ?? []);
  const columns = ["id", "record_id", "uri", "num_frames", "fps", "from_timestamp", "updated_at"];
  const row = await handle.get(
    "videos",
    viewId,
    columns.filter((c) => present.has(c)),
  );
  if (!row || str(row.record_id) !== recordId)
    throw new InferenceError("not_found", `View '${viewId}' of the track is not a view of record '${recordId}'.`);
  const fps = num(row.fps);
  const count = Math.floor(num(row.num_frames));
  const uri = str(row.uri);
  if (!(fps > 0) || !Number.isFinite(fps))
    throw new InferenceError("bad_image", `Video '${viewId}' has no frame rate (fps).`);
  if (!(count > 0)) throw new InferenceError("bad_image", `Video '${viewId}' has no frames (num_frames).`);
  if (isRemoteUri(uri))
    throw new InferenceError(
      "bad_image",
      `Video '${viewId}' is remote (${uri}); only embedded or local files are decoded.`,
    );
  const from = Math.max(0, num(row.from_timestamp) || 0);
  const stamp: unknown[] = [handle.id, str(handle.info.creation_date), viewId, str(row.updated_at), count, fps, from];
  let file: VideoSource["file"];
  if (uri !== "") {
    const resolved = await resolveMediaPath(input.mediaDir, uri);
    const st = await stat(resolved).catch((err: unknown) => {
      if (err instanceof Error && "code" in err && err.code === "ENOENT")
        throw new InferenceError("bad_image", `The file of video '${viewId}' is not in the media folder.`);
      throw err;
    });
    stamp.push(st.size, st.mtimeMs);
    file = () => Promise.resolve({ path: resolved });
  } else {
    file = async () => {
      const full = await handle.get("videos", viewId, ["id", "raw_bytes"]);
      const bytes = full?.raw_bytes;
      if (!(bytes instanceof Uint8Array) || bytes.length === 0)
        throw new InferenceError("bad_image", `Video '${viewId}' has neither embedded bytes nor a uri.`);
      return { bytes };
    };
  }
  const source: VideoSource = { key: stamp.map(String).join("\u0000"), fps, from, file };
  const frames = new Map<number, FrameRef>();
  for (let i = 0; i < count; i++) frames.set(i, { index: i, id: viewId, frameId: "", timestamp: from + i / fps });
  const abort = new AbortController();
  const decoded = new Map<number, Buffer>();
  let batch: { start: number; done: Promise<number> } | null = null;
  const fetchBatch = (start: number) => {
    for (const k of decoded.keys()) if (k < start) decoded.delete(k);
    const done = input
      .video()
      .frames(source, start, Math.min(VIDEO_BATCH, count - start), abort.signal, (i, jpeg) => decoded.set(i, jpeg));
    batch = { start, done };
    return done;
  };
  return {
    frames,
    async read(index) {
      let jpeg = decoded.get(index);
      if (!jpeg) {
        const current = batch as { start: number; done: Promise<number> } | null;
        const inCurrent = current !== null && index >= current.start && index < current.start + VIDEO_BATCH;
        try {
          await (inCurrent && current ? current.done : fetchBatch(index));
        } catch (err) {
          throw videoError(err, viewId);
        }
        jpeg = decoded.get(index);
        if (!jpeg) throw new InferenceError("bad_image", `Video '${viewId}' has no frame ${index} (the file ended).`);
      }
      return frameImage(jpeg, input.maxSide, `frame ${index} of video '${viewId}'`);
    },
    pixelsKey: (index) => videoFrameKey(handle.id, viewId, index, source.key),
    close() {
      abort.abort();
      decoded.clear();
    },
  };
}

function videoError(err: unknown, viewId: string): unknown {
  if (err instanceof DecoderBusyError)
    return new InferenceError("queue_full", `the video decoders are busy (${err.message})`);
  if (err instanceof AbortedError) return new InferenceError("closed", "the run stopped");
  if (err instanceof VideoDecodeError)
    return new InferenceError(
      "bad_image",
      err.reason === "missing"
        ? `decoding video '${viewId}' needs ffmpeg on the server's PATH (${err.message})`
        : `video '${viewId}' cannot be decoded: ${err.message}`,
    );
  return err;
}
