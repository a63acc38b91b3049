/** Upload refusals and the check of a client-supplied relative path (uploads and zip entries). */

export class UploadError extends Error {
  override name = "UploadError";
  constructor(
    readonly status: 400 | 404 | 409 | 413 | 415 | 422 | 429,
    message: string,
  ) {
    super(message);
  }
}

const MAX_SEGMENT = 255;
const MAX_REL_PATH = 1024;

/** Checks a client-supplied relative path (Pixano's rules plus length, NUL and drive letters); returns its segments. */
export function safeSegments(rel: string): string[] {
  const bad = (why: string) => new UploadError(400, `Invalid upload path '${rel.slice(0, 200)}': ${why}.`);
  if (rel.length === 0 || rel.length > MAX_REL_PATH) throw bad("empty or too long");
  if (rel.includes("\\") || rel.includes("\0")) throw bad("backslashes and NUL are not allowed");
  if (rel.startsWith("/") || /^[A-Za-z]:/.test(rel)) throw bad("absolute paths are not allowed");
  const parts = rel.split("/");
  for (const p of parts) {
    if (p === "" || p === "." || p === "..") throw bad("empty, '.' and '..' segments are not allowed");
    if (p.length > MAX_SEGMENT) throw bad("a segment is longer than 255 characters");
  }
  return parts;
}
