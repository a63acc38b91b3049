import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Router } from "express";
import type { Request, Response } from "express";
import { etagMatches, parseRange } from "../binary.js";
import type { AppContext } from "../context.js";
import { badRequest, HttpError, notFound } from "../errors.js";
import { mimeFromPath } from "../mime.js";

/**
 * `GET /media/{path}`: files under `DATA_DIR/media`, which filesystem-mode views reference with
 * relative URIs (Pixano never served this folder; spec §11). A path that could leave the folder —
 * `..` segments in any encoding, absolute paths, NUL bytes, or a symlink that resolves outside —
 * is refused before the file system is touched for it.
 */

/** Resolves the request's segments inside `root`; throws 400 for anything that could escape. */
export function resolveMediaPath(root: string, segments: readonly string[]): string {
  if (segments.length === 0) throw notFound("Not Found");
  for (const seg of segments) {
    // Express has percent-decoded each segment: `%2e%2e` arrives as "..", `%2f` as "/".
    if (seg === "" || seg === "." || seg === ".." || seg.includes("\0") || seg.includes("/") || seg.includes("\\")) {
      throw badRequest("Invalid media path.");
    }
  }
  const resolved = path.resolve(root, ...segments);
  const rel = path.relative(root, resolved);
  if (rel === "" || rel.startsWith("..") || path.isAbsolute(rel)) throw badRequest("Invalid media path.");
  return resolved;
}

async function inside(root: string, file: string): Promise<boolean> {
  const [realRoot, realFile] = await Promise.all([realpath(root), realpath(file)]);
  const rel = path.relative(realRoot, realFile);
  return rel !== "" && !rel.startsWith("..") && !path.isAbsolute(rel);
}

async function serveMediaFile(
  ctx: AppContext,
  req: Request,
  res: Response,
  segments: readonly string[],
): Promise<void> {
  const file = resolveMediaPath(ctx.mediaDir, segments);
  let size: number;
  let mtimeMs: number;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw notFound("Media file not found.");
    if (!(await inside(ctx.mediaDir, file))) throw badRequest("Invalid media path.");
    size = st.size;
    mtimeMs = st.mtimeMs;
  } catch (err) {
    if (
      err instanceof Error &&
      "code" in err &&
      (err.code === "ENOENT" || err.code === "ENOTDIR" || err.code === "ELOOP")
    ) {
      throw notFound("Media file not found.");
    }
    throw err;
  }
  const etag = `W/"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
  res.setHeader("ETag", etag);
  res.setHeader("Last-Modified", new Date(mtimeMs).toUTCString());
  res.setHeader("Cache-Control", "public, max-age=3600");
  res.setHeader("Accept-Ranges", "bytes");
  // Media is data, never a document of this origin: no script may run from it (SVG, HTML).
  res.setHeader("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; sandbox");
  if (etagMatches(req, etag)) {
    res.status(304).end();
    return;
  }
  const range = parseRange(req.headers.range, size);
  if (range === "unsatisfiable") {
    res.setHeader("Content-Range", `bytes */${size}`);
    throw new HttpError(416, "Requested range not satisfiable.");
  }
  res.setHeader("Content-Type", mimeFromPath(file));
  const start = range ? range.start : 0;
  const end = range ? range.end : size - 1;
  if (range) {
    res.status(206);
    res.setHeader("Content-Range", `bytes ${start}-${end}/${size}`);
  } else {
    res.status(200);
  }
  res.setHeader("Content-Length", size === 0 ? 0 : end - start + 1);
  if (req.method === "HEAD" || size === 0) {
    res.end();
    return;
  }
  await pipeline(createReadStream(file, { start, end }), res);
}

export function mediaRouter(ctx: AppContext): Router {
  const router = Router();
  ctx.routes.add(
    router,
    {
      method: "get",
      path: "/media/{path}",
      wildcard: "path",
      operationId: "get_media_file",
      summary: "Media file",
      tags: ["Media"],
      responses: {
        "200": {
          description: "The file (single byte ranges honoured).",
          content: { "application/octet-stream": { type: "string", format: "binary" } },
        },
        "206": { description: "Partial content." },
        "304": { description: "Not modified." },
        "400": { description: "Path escapes the media folder." },
      },
    },
    async (req, res) => {
      const raw = (req.params as Record<string, unknown>).path;
      const segments = Array.isArray(raw) ? raw.map(String) : [String(raw ?? "")];
      await serveMediaFile(ctx, req, res, segments);
    },
  );
  return router;
}
