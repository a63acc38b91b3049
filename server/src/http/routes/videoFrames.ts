import { stat } from "node:fs/promises";
import type { Response, Router } from "express";
import { isRemoteUri, resolveMediaPath } from "@tessera/dataset";
import type { Row } from "@tessera/shared-crdt";
import { VIDEO_FRAME_BATCH_DEFAULT, VideoFrameBatchSize, VideoFrameStart } from "@tessera/shared-crdt/api";
import { declaredTable, openDataset, param, type AppContext } from "../context.js";
import { HttpError, notFound } from "../errors.js";
import { VideoDecodeError } from "../../video/ffmpegFrames.js";
import { AbortedError, DecoderBusyError } from "../../video/limits.js";
import { VideoFrameService, type VideoFrameOptions, type VideoSource } from "../../video/videoFrameService.js";
import { FRAME_BOUNDARY, framePartHead } from "./frameBatch.js";

/**
 * Frames of a video file (a Pixano 0.8 `videos` row, embedded or in the media folder), decoded by
 * the server's ffmpeg (Tessera; Pixano 0.8 has no such route):
 *  - `GET /datasets/{id}/videos/{video_id}/frames?start_frame&batch_size`: consecutive frames as
 *    the frame batch route's multipart body, each part sent as soon as ffmpeg has it;
 *  - `GET /datasets/{id}/videos/{video_id}/frames/{frame_index}`: one frame as a JPEG.
 * Frame `i` of a view is the file's frame at `from_timestamp + i / fps` (SPEC D-VFILE-2). Without
 * ffmpeg: 501.
 */

const str = (v: unknown) => (typeof v === "string" ? v : "");
const num = (v: unknown) => (typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : 0);

/** What the decoder reads of a row (`from_timestamp` and `updated_at` only where the table has them). */
const COLUMNS = ["id", "uri", "num_frames", "fps", "from_timestamp", "updated_at"];

/** The row's frames as the decoder reads them, or a 4xx naming what is wrong. */
async function sourceOf(ctx: AppContext, datasetId: string, videoId: string) {
  const handle = await openDataset(ctx, datasetId);
  const schema = declaredTable(handle, "videos");
  if (!schema) throw notFound("No table found for resource 'videos'.");
  const present = new Set(schema.columns.map((c) => c.name));
  const row: Row | null = await handle.get(
    "videos",
    videoId,
    COLUMNS.filter((c) => present.has(c)),
  );
  if (!row) throw notFound(`Resource '${videoId}' not found.`);
  const fps = num(row.fps);
  const frames = Math.floor(num(row.num_frames));
  const uri = str(row.uri);
  if (!(fps > 0) || !Number.isFinite(fps)) throw new HttpError(422, `Video '${videoId}' has no frame rate (fps).`);
  if (isRemoteUri(uri))
    throw new HttpError(422, `Video '${videoId}' is remote (${uri}); the server decodes only embedded or local files.`);
  // What identifies the content, so no cache serves a replaced video: the dataset's creation (a
  // re-import keeps row ids), the row's own fields, and a media file's size and modification time.
  const stamp = [
    handle.id,
    str(handle.info.creation_date),
    videoId,
    str(row.updated_at),
    frames,
    fps,
    row.from_timestamp,
  ];
  let file: (() => Promise<{ path: string } | { bytes: Uint8Array }>) | null = null;
  if (uri !== "") {
    const resolved = await resolveMediaPath(ctx.mediaDir, uri);
    const st = await stat(resolved).catch((err: unknown) => {
      if (err instanceof Error && "code" in err && err.code === "ENOENT")
        throw notFound(`The file of video '${videoId}' is not in the media folder.`);
      throw err;
    });
    stamp.push(st.size, st.mtimeMs);
    file = () => Promise.resolve({ path: resolved });
  } else {
    file = async () => {
      const full = await handle.get("videos", videoId, ["id", "raw_bytes"]);
      const bytes = full?.raw_bytes;
      if (!(bytes instanceof Uint8Array) || bytes.length === 0)
        throw new HttpError(422, `Video '${videoId}' has neither embedded bytes nor a uri.`);
      return { bytes };
    };
  }
  const source: VideoSource = {
    key: stamp.map(String).join("\u0000"),
    fps,
    from: Math.max(0, num(row.from_timestamp)),
    file,
  };
  return { source, frames };
}

/** What a decoding failure means to the client (nothing when it went away). */
function decodeStatus(err: unknown): HttpError | null {
  if (err instanceof AbortedError) return null;
  if (err instanceof DecoderBusyError)
    return new HttpError(503, `The server is busy decoding videos (${err.message}).`);
  if (!(err instanceof VideoDecodeError)) return null;
  switch (err.reason) {
    case "missing":
      return new HttpError(
        501,
        `Decoding video frames needs ffmpeg, which this server cannot run (${err.message}): install ffmpeg on its PATH.`,
      );
    case "undecodable":
      return new HttpError(422, `The video could not be decoded: ${err.message}`);
    case "timeout":
      return new HttpError(504, `Decoding the video timed out: ${err.message}`);
    case "aborted":
      return null;
  }
}

/** An abort signal that fires when the response closes before it finished (the client went away). */
function goneSignal(res: Response): AbortSignal {
  const gone = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone.signal;
}

function checkStart(start: number, frames: number): void {
  if (start >= frames) throw notFound(`Frame ${start} is outside the video (${frames} frames).`);
}

export function videoFramesRoute(ctx: AppContext, router: Router, options: Partial<VideoFrameOptions> = {}): void {
  const service = new VideoFrameService(options);
  const base = "/datasets/{dataset_id}/videos/{id}/frames";
  const errors = {
    "404": { description: "No such video, or the frame is past its end." },
    "422": { description: "The row cannot be decoded (remote, no bytes, not a video)." },
    "501": { description: "The server has no ffmpeg." },
    "503": { description: "Too many videos are being decoded; retry." },
    "504": { description: "Decoding took too long." },
  };

  ctx.routes.add(
    router,
    {
      method: "get",
      path: base,
      operationId: "get_video_frames",
      summary: "Consecutive frames of a video file as one multipart body",
      tags: ["Views"],
      query: [
        { name: "start_frame", schema: VideoFrameStart },
        { name: "batch_size", schema: VideoFrameBatchSize },
      ],
      responses: {
        "200": {
          description: "JPEG frames, one part each (the frame batch route's format), streamed as decoded.",
          content: { "multipart/x-mixed-replace": { type: "string", format: "binary" } },
          headers: {
            "X-Total-Frames": { description: "Frames this batch should carry.", schema: { type: "integer" } },
            "X-Start-Frame": { description: "The requested start_frame.", schema: { type: "integer" } },
            "X-Batch-Size": { description: "The requested batch_size.", schema: { type: "integer" } },
          },
        },
        ...errors,
      },
    },
    async (req, res) => {
      // The router applied the declared defaults; TypeBox's types do not say so.
      const start = req.query.start_frame ?? 0;
      const batchSize = req.query.batch_size ?? VIDEO_FRAME_BATCH_DEFAULT;
      const { source, frames } = await sourceOf(ctx, param(req.params, "dataset_id"), param(req.params, "id"));
      checkStart(start, frames);
      const count = Math.min(batchSize, frames - start);
      const signal = goneSignal(res);
      let sent = 0;
      try {
        await service.frames(source, start, count, signal, (index, jpeg) => {
          if (sent === 0) {
            res.status(200);
            res.setHeader("Content-Type", `multipart/x-mixed-replace; boundary=${FRAME_BOUNDARY}`);
            res.setHeader("Cache-Control", "no-cache");
            res.setHeader("X-Total-Frames", String(count));
            res.setHeader("X-Start-Frame", String(start));
            res.setHeader("X-Batch-Size", String(batchSize));
          }
          sent++;
          res.write(framePartHead("image/jpeg", jpeg.length, index));
          res.write(jpeg);
          res.write("\r\n");
        });
      } catch (err) {
        const mapped = decodeStatus(err);
        if (sent > 0 || mapped === null) {
          // Part of the body is out (or nobody listens): cutting the connection is the only signal left.
          if (sent > 0 && mapped !== null) ctx.logger.warn("video frames cut short", { error: String(err) });
          if (mapped === null && !(err instanceof AbortedError || err instanceof VideoDecodeError)) throw err;
          res.destroy();
          return;
        }
        throw mapped;
      }
      if (sent === 0) throw notFound(`Frame ${start} is outside the video file.`);
      res.end(`--${FRAME_BOUNDARY}--\r\n`);
    },
  );

  ctx.routes.add(
    router,
    {
      method: "get",
      path: `${base}/{frame_index}`,
      operationId: "get_video_frame",
      summary: "One frame of a video file as a JPEG",
      tags: ["Views"],
      responses: {
        "200": { description: "The frame.", content: { "image/jpeg": { type: "string", format: "binary" } } },
        ...errors,
      },
    },
    async (req, res) => {
      const raw = param(req.params, "frame_index");
      if (!/^\d{1,9}$/.test(raw))
        throw new HttpError(422, `frame_index must be a non-negative integer, not '${raw.slice(0, 40)}'.`);
      const index = Number(raw);
      const { source, frames } = await sourceOf(ctx, param(req.params, "dataset_id"), param(req.params, "id"));
      checkStart(index, frames);
      let jpeg: Buffer | null = null;
      try {
        await service.frames(source, index, 1, goneSignal(res), (_i, bytes) => (jpeg = bytes));
      } catch (err) {
        const mapped = decodeStatus(err);
        if (mapped) throw mapped;
        if (err instanceof AbortedError || err instanceof VideoDecodeError) return;
        throw err;
      }
      const out = jpeg as Buffer | null;
      if (out === null) throw notFound(`Frame ${index} is outside the video file.`);
      res.status(200);
      res.setHeader("Content-Type", "image/jpeg");
      res.setHeader("Content-Length", out.length);
      res.setHeader("Cache-Control", "no-cache");
      res.end(out);
    },
  );
}
