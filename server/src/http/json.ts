import type { Response } from "express";

/**
 * A float cell. Pixano serialises `float` columns with Python's `repr`, so `1.0` stays `1.0` on the
 * wire; `JSON.stringify` would print `1`. Marking floats lets {@link writeJson} keep the decimal
 * point, so a Python client that checks `isinstance(x, float)` sees what Pixano would send.
 */
export class PyFloat {
  constructor(readonly value: number) {}
}

function floatText(v: number): string {
  if (!Number.isFinite(v)) return "null";
  if (Number.isInteger(v) && Math.abs(v) < 1e16) return `${v}.0`;
  return JSON.stringify(v);
}

/** `JSON.stringify` (no indentation, `undefined` keys skipped) that understands {@link PyFloat}. */
export function writeJson(value: unknown): string {
  if (value instanceof PyFloat) return floatText(value.value);
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      return Number.isFinite(value) ? JSON.stringify(value) : "null";
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "object":
      break;
    default:
      return "null";
  }
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? "null" : writeJson(v))).join(",")}]`;
  const parts: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined || typeof v === "function") continue;
    parts.push(`${JSON.stringify(k)}:${writeJson(v)}`);
  }
  return `{${parts.join(",")}}`;
}

/** Sends a JSON body with an explicit status; the single way route handlers answer with JSON. */
export function sendJson(res: Response, status: number, body: unknown): void {
  const text = writeJson(body);
  res.status(status);
  res.setHeader("Content-Type", "application/json");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}
