import type { ErrorRequestHandler, RequestHandler } from "express";
import { FilterSyntaxError, type IssueCode } from "@tessera/shared-crdt";
import type { Logger } from "../logger.js";
import { drainRejectedBody } from "./drainBody.js";
import { sendJson } from "./json.js";
import type { RouteTable } from "./routeTable.js";

/**
 * Errors are FastAPI's: every error body is `{"detail": …}`, where `detail` is a string for
 * 4xx/5xx raised by handlers and a list of located issues for request validation (422).
 */
export class HttpError extends Error {
  override name = "HttpError";
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
}

/** One located problem, shaped like a pydantic v2 error as FastAPI returns it. */
export interface FieldIssue {
  /** pydantic's error type: one of shared-crdt's `ISSUE_CODES`. */
  readonly type: IssueCode;
  readonly loc: readonly (string | number)[];
  readonly msg: string;
  readonly input?: unknown;
  readonly ctx?: Readonly<Record<string, unknown>>;
}

/** A request whose query, path or body does not fit the route's declared shape → 422. */
export class RequestValidationError extends Error {
  override name = "RequestValidationError";
  constructor(readonly issues: readonly FieldIssue[]) {
    super(issues.map((i) => `${i.loc.join(".")}: ${i.msg}`).join("; "));
  }
}

export function notFound(detail: string): HttpError {
  return new HttpError(404, detail);
}

export function badRequest(detail: string): HttpError {
  return new HttpError(400, detail);
}

/** Errors thrown by other layers, mapped to a status and detail (the dataset library registers its own). */
export type ErrorMapper = (err: unknown) => { status: number; detail: unknown } | null;

/**
 * The last middleware: turns anything thrown into `{"detail"}` with the right status. Unexpected
 * errors are logged with the request line and answered with a fixed message — never a stack trace.
 */
export function errorHandler(logger: Logger, mappers: readonly ErrorMapper[]): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      // Part of the body is out: the only honest signal left is to cut the connection.
      logger.error("error after response started", { method: req.method, url: req.originalUrl, error: String(err) });
      next(err);
      return;
    }
    let mapped: { status: number; detail: unknown } | null = null;
    if (err instanceof HttpError) mapped = { status: err.status, detail: err.detail };
    else if (err instanceof RequestValidationError) mapped = { status: 422, detail: err.issues };
    else if (err instanceof FilterSyntaxError) mapped = { status: 400, detail: err.message };
    // Express's path-parameter decoding (apps served without the front door, which refuses these first).
    else if (err instanceof URIError && (err as URIError & { status?: unknown }).status === 400)
      mapped = { status: 400, detail: "Invalid percent-encoding in the request path." };
    else {
      for (const m of mappers) {
        mapped = m(err);
        if (mapped) break;
      }
    }
    if (!mapped) {
      logger.error("unhandled error", {
        method: req.method,
        url: req.originalUrl,
        error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err),
      });
      mapped = { status: 500, detail: "Internal server error" };
    }
    if (mapped.status === 413) drainRejectedBody(req, res);
    sendJson(res, mapped.status, { detail: mapped.detail });
  };
}

/**
 * Unknown routes: FastAPI's `{"detail": "Not Found"}`, or `405 Method Not Allowed` (with `Allow`)
 * when the path exists for other methods.
 */
export function notFoundHandler(routes: RouteTable): RequestHandler {
  return (req, res) => {
    const allowed = routes.methodsFor(req.path);
    if (allowed.length > 0) {
      const methods = allowed.map((m) => m.toUpperCase());
      if (methods.includes("GET")) methods.push("HEAD");
      res.setHeader("Allow", methods.join(", "));
      sendJson(res, 405, { detail: "Method Not Allowed" });
      return;
    }
    sendJson(res, 404, { detail: "Not Found" });
  };
}
