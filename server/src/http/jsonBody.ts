import type { IncomingMessage } from "node:http";
import type { Request, RequestHandler } from "express";
import { parseJsonExact } from "@tessera/shared-crdt";
import { HttpError, RequestValidationError } from "./errors.js";
import { locateJsonSyntaxError } from "./jsonSyntax.js";

/** JSON bodies above this are refused with 413. */
export const DEFAULT_JSON_LIMIT_BYTES = 16 * 1024 * 1024;

/** The bytes each JSON body was read from, kept while its request lives (a request may be relayed on). */
const rawBodies = new WeakMap<IncomingMessage, Buffer>();

/**
 * The request's body as it arrived, for relaying the request elsewhere (scaled mode): the JSON bytes
 * {@link jsonBody} read, an empty buffer when the request has none, or null when something else consumed it.
 */
export function rawRequestBody(req: IncomingMessage): Buffer | null {
  const raw = rawBodies.get(req);
  if (raw) return raw;
  return hasBody(req) ? null : Buffer.alloc(0);
}

function hasBody(req: IncomingMessage): boolean {
  const len = req.headers["content-length"];
  if (len !== undefined) return len.trim() !== "0";
  return req.headers["transfer-encoding"] !== undefined;
}

function mediaType(req: Request): { type: string; charset: string | null } {
  const [type = "", ...params] = (req.headers["content-type"] ?? "").split(";");
  const charset =
    params
      .map((p) => p.trim().toLowerCase())
      .find((p) => p.startsWith("charset="))
      ?.slice("charset=".length)
      .replace(/"/g, "") ?? null;
  return { type: type.trim().toLowerCase(), charset };
}

function isJsonType(type: string): boolean {
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));
}

function tooLarge(limitBytes: number): HttpError {
  return new HttpError(413, `Request body too large (limit ${Math.round(limitBytes / (1024 * 1024))} MB).`);
}

/**
 * The body's value, or FastAPI's `json_invalid` 422: where the text stops being JSON and why, as
 * Python's decoder says it, found by {@link locateJsonSyntaxError} (never read out of the engine's
 * message). Should the walk accept a text the parser refused, the 422 names no position rather
 * than a guessed one.
 */
function parseJson(text: string): unknown {
  try {
    return parseJsonExact(text);
  } catch {
    // Any refusal of the text (a SyntaxError, or a RangeError on a pathological body) is the client's 422.
    const found = locateJsonSyntaxError(text);
    throw new RequestValidationError([
      {
        type: "json_invalid",
        loc: found ? ["body", found.pos] : ["body"],
        msg: "JSON decode error",
        input: {},
        ctx: { error: found ? found.msg : "Invalid JSON" },
      },
    ]);
  }
}

/**
 * Reads the JSON body of a write route into `req.body`. Another media type (or a charset other
 * than UTF-8) is refused with 415. A body over `limitBytes` is refused with 413 as soon as that is
 * known — from `Content-Length` before reading anything, or when a chunked upload crosses the
 * limit — so the client gets its answer while still sending and nothing is buffered beyond the
 * limit. No body leaves `req.body` undefined (the route answers 422 "Field required").
 */
export function jsonBody(limitBytes: number = DEFAULT_JSON_LIMIT_BYTES): RequestHandler {
  return (req, _res, next) => {
    if (!hasBody(req)) {
      req.body = undefined;
      next();
      return;
    }
    const { type, charset } = mediaType(req);
    if (!isJsonType(type)) {
      next(
        new HttpError(
          415,
          `Unsupported media type ${JSON.stringify(req.headers["content-type"] ?? "")}: send application/json.`,
        ),
      );
      return;
    }
    if (charset !== null && charset !== "utf-8" && charset !== "utf8") {
      next(new HttpError(415, `Unsupported charset ${JSON.stringify(charset)}: send UTF-8 JSON.`));
      return;
    }
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > limitBytes) {
      next(tooLarge(limitBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const cleanup = () => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onError);
      req.off("aborted", onAborted);
    };
    const settle = (err: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      if (err) {
        req.pause();
        next(err);
        return;
      }
      try {
        const raw = Buffer.concat(chunks, size);
        rawBodies.set(req, raw);
        let text = raw.toString("utf8");
        if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
        req.body = parseJson(text);
        next();
      } catch (parseErr) {
        next(parseErr);
      }
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        settle(tooLarge(limitBytes));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => settle(null);
    const onError = (err: Error) => settle(new HttpError(400, `Could not read the request body: ${err.message}`));
    const onAborted = () => settle(new HttpError(400, "Request aborted."));
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("error", onError);
    req.on("aborted", onAborted);
  };
}
