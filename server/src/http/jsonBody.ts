import express from "express";
import type { Request, RequestHandler, Response } from "express";
import { HttpError } from "./errors.js";

/** JSON bodies above this are refused with 413 before they are read. */
export const DEFAULT_JSON_LIMIT_BYTES = 16 * 1024 * 1024;

/** After a 413, at most this much more of the refused body is read and discarded before the socket is cut. */
const DRAIN_MAX_BYTES = 256 * 1024 * 1024;
const DRAIN_MAX_MS = 30_000;

function hasBody(req: Request): boolean {
  const len = req.headers["content-length"];
  if (len !== undefined) return len !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

function isJsonType(req: Request): boolean {
  const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

/**
 * Parses JSON bodies of write routes. A body in another media type is refused with 415 (FastAPI
 * would try to read it anyway); a body over `limitBytes` is refused with 413 from its
 * `Content-Length` alone, or as soon as a chunked upload crosses the limit — it is never buffered
 * whole. An absent body leaves `req.body` undefined (the route answers 422 "Field required").
 */
export function jsonBody(limitBytes: number = DEFAULT_JSON_LIMIT_BYTES): RequestHandler {
  const parse = express.json({ limit: limitBytes, strict: false, type: () => true });
  return (req, res, next) => {
    if (!hasBody(req)) {
      req.body = undefined;
      next();
      return;
    }
    if (!isJsonType(req)) {
      next(new HttpError(415, `Unsupported media type ${JSON.stringify(req.headers["content-type"] ?? "")}: send application/json.`));
      return;
    }
    parse(req, res, next);
  };
}

/**
 * "Lingering close" for a refused upload: the client is usually still sending, and closing at
 * once would reset the connection before it reads the 413. Read and discard what follows (bounded
 * in bytes and time), then let the connection go on or cut it.
 */
export function drainRejectedBody(req: Request, res: Response): void {
  res.once("finish", () => {
    if (req.complete) return;
    let seen = 0;
    const stop = () => {
      clearTimeout(timer);
      req.off("data", onData);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > DRAIN_MAX_BYTES) {
        stop();
        req.socket.destroy();
      }
    };
    const timer = setTimeout(() => {
      stop();
      req.socket.destroy();
    }, DRAIN_MAX_MS);
    timer.unref();
    req.on("data", onData);
    req.once("end", stop);
    req.once("close", stop);
    req.resume();
  });
}
