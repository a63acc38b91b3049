import type { Router } from "express";
import { declaredTable, openDataset, param, type AppContext } from "../context.js";
import { notFound } from "../errors.js";
import { mimeOfFormat } from "@tessera/dataset";

/**
 * `GET /datasets/{id}/records/{record_id}/sframes/batch` — the video frame worker's feed: up to
 * `batch_size` embedded frames from `start_frame`, as one `multipart/x-mixed-replace` body whose
 * parts carry `Content-Type`, `Content-Length` and `X-Frame-Index` (Pixano `api/media.py`).
 */

export const FRAME_BOUNDARY = "frame_boundary";

/** The boundary and headers that open one part (the bytes and a CRLF follow). */
export function framePartHead(contentType: string, length: number, frameIndex: number): Buffer {
  return Buffer.from(
    `--${FRAME_BOUNDARY}\r\nContent-Type: ${contentType}\r\nContent-Length: ${length}\r\nX-Frame-Index: ${frameIndex}\r\n\r\n`,
    "latin1",
  );
}

interface Frame {
  readonly frameIndex: number;
  readonly bytes: Uint8Array;
  readonly contentType: string;
}

/** The multipart body, byte for byte as Pixano's `iter_multipart_frames` writes it. */
function multipartFrames(frames: readonly Frame[]): Buffer {
  const parts: Buffer[] = [];
  for (const f of frames) {
    parts.push(framePartHead(f.contentType, f.bytes.length, f.frameIndex));
    parts.push(Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.byteLength));
    parts.push(Buffer.from("\r\n", "latin1"));
  }
  parts.push(Buffer.from(`--${FRAME_BOUNDARY}--\r\n`, "latin1"));
  return Buffer.concat(parts);
}

export function frameBatchRoute(ctx: AppContext, router: Router): void {
  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/datasets/{dataset_id}/records/{record_id}/sframes/batch",
      operationId: "get_record_sframe_batch",
      summary: "A batch of a record's frames as one multipart body",
      tags: ["Views"],
      query: [
        { name: "view_name", schema: { type: "string" } },
        { name: "start_frame", schema: { type: "integer", minimum: 0, default: 0 } },
        { name: "batch_size", schema: { type: "integer", minimum: 1, maximum: 1000, default: 100 } },
      ],
      responses: {
        "200": {
          description: "Frames, one part each.",
          content: { "multipart/x-mixed-replace": { type: "string", format: "binary" } },
          headers: {
            "X-Total-Frames": { description: "Frames in this batch.", schema: { type: "integer" } },
            "X-Start-Frame": { description: "The requested start_frame.", schema: { type: "integer" } },
            "X-Batch-Size": { description: "The requested batch_size.", schema: { type: "integer" } },
          },
        },
      },
    },
    async (req, res) => {
      const handle = await openDataset(ctx, param(req.params, "dataset_id"));
      const { view_name: viewName, start_frame: start, batch_size: batchSize } = req.query;
      const recordId = param(req.params, "record_id");
      if (!declaredTable(handle, "sequence_frames")) throw notFound("No frames found for the given parameters.");
      const page = await handle.query("sequence_frames", {
        filters: [
          { column: "record_id", op: "eq", values: [recordId] },
          ...(viewName !== undefined ? [{ column: "logical_name", op: "eq" as const, values: [viewName] }] : []),
          { column: "frame_index", op: "gte", values: [String(start)] },
          { column: "frame_index", op: "lt", values: [String(start + batchSize)] },
        ],
        sort: { column: "frame_index", order: "asc" },
        columns: ["frame_index", "raw_bytes", "format"],
        limit: batchSize,
      });
      const frames: Frame[] = [];
      for (const row of page.items) {
        const bytes = row.raw_bytes;
        if (!(bytes instanceof Uint8Array) || bytes.length === 0) continue;
        frames.push({
          frameIndex: Number(row.frame_index),
          bytes,
          contentType: mimeOfFormat(typeof row.format === "string" ? row.format : ""),
        });
      }
      if (frames.length === 0) throw notFound("No frames found for the given parameters.");
      const body = multipartFrames(frames);
      res.status(200);
      res.setHeader("Content-Type", `multipart/x-mixed-replace; boundary=${FRAME_BOUNDARY}`);
      res.setHeader("Content-Length", body.length);
      res.setHeader("X-Total-Frames", String(frames.length));
      res.setHeader("X-Start-Frame", String(start));
      res.setHeader("X-Batch-Size", String(batchSize));
      res.end(body);
    },
  );
}
