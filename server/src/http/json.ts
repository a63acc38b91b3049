import type { Response } from "express";
import { PyFloat, writePythonJson } from "@tessera/shared-crdt";

/**
 * A float cell. Pixano serialises `float` columns with Python's `repr`, so `1.0` stays `1.0` on the
 * wire; `JSON.stringify` would print `1`. Marking floats lets {@link writeJson} keep the decimal
 * point, so a Python client that checks `isinstance(x, float)` sees what Pixano would send.
 */
export { PyFloat };

/**
 * FastAPI's compact JSON (`separators=(",", ":")`, UTF-8 as is): {@link PyFloat} as a Python float,
 * `bigint` (int64 beyond ±2^53) digit for digit, `undefined` keys skipped.
 */
export function writeJson(value: unknown): string {
  return writePythonJson(value === undefined ? null : value);
}

/** Sends a JSON body with an explicit status; the single way route handlers answer with JSON. */
export function sendJson(res: Response, status: number, body: unknown): void {
  const text = writeJson(body);
  res.status(status);
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}
