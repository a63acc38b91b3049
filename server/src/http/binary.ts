import { createHash } from "node:crypto";
import type { Request, Response } from "express";

/**
 * Sending bytes: `Content-Type`, `Content-Length`, a strong `ETag` (sha1 of the bytes, as Pixano's
 * preview route computes it) honoured through `If-None-Match` → 304, and single-range requests
 * (`Range: bytes=a-b`) → 206, which video players need to seek.
 */

export interface SendBytesOptions {
  readonly contentType: string;
  readonly cacheControl?: string;
  /** Honour `Range` (blobs). */
  readonly ranges?: boolean;
}

function sha1Etag(bytes: Uint8Array): string {
  return `"${createHash("sha1").update(bytes).digest("hex")}"`;
}

/** True when `If-None-Match` lists `etag` (or `*`); weak comparison, as RFC 9110 asks for GET. */
export function etagMatches(req: Pick<Request, "headers">, etag: string): boolean {
  const header = req.headers["if-none-match"];
  if (!header) return false;
  const strip = (t: string) => t.trim().replace(/^W\//, "");
  return header.split(",").some((t) => t.trim() === "*" || strip(t) === strip(etag));
}

export interface ByteRange {
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
}

/** Parses one `bytes=` range against a size: the range, "unsatisfiable", or null (ignore the header). */
export function parseRange(header: string | undefined, size: number): ByteRange | "unsatisfiable" | null {
  if (!header) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null; // several ranges or another unit: answer the whole body, which RFC 9110 allows
  const [, a = "", b = ""] = m;
  if (a === "" && b === "") return null;
  let start: number;
  let end: number;
  if (a === "") {
    const suffix = Number(b);
    if (suffix === 0) return "unsatisfiable";
    start = Math.max(0, size - suffix);
    end = size - 1;
  } else {
    start = Number(a);
    end = b === "" ? size - 1 : Math.min(Number(b), size - 1);
  }
  if (start >= size || start > end) return "unsatisfiable";
  return { start, end };
}

export function sendBytes(
  req: Pick<Request, "headers">,
  res: Response,
  bytes: Uint8Array,
  options: SendBytesOptions,
): void {
  const etag = sha1Etag(bytes);
  res.setHeader("ETag", etag);
  if (options.cacheControl) res.setHeader("Cache-Control", options.cacheControl);
  if (options.ranges) res.setHeader("Accept-Ranges", "bytes");
  if (etagMatches(req, etag)) {
    res.status(304).end();
    return;
  }
  res.setHeader("Content-Type", options.contentType);
  const range = options.ranges ? parseRange(req.headers.range, bytes.length) : null;
  if (range === "unsatisfiable") {
    res.setHeader("Content-Range", `bytes */${bytes.length}`);
    res.setHeader("Content-Type", "application/json");
    res.status(416).end(JSON.stringify({ detail: "Requested range not satisfiable" }));
    return;
  }
  if (range) {
    const part = bytes.subarray(range.start, range.end + 1);
    res.status(206);
    res.setHeader("Content-Range", `bytes ${range.start}-${range.end}/${bytes.length}`);
    res.setHeader("Content-Length", part.length);
    res.end(part);
    return;
  }
  res.status(200);
  res.setHeader("Content-Length", bytes.length);
  res.end(bytes);
}
