/**
 * Reads the frame batch route's body (`GET …/records/{id}/sframes/batch`, Pixano's
 * `multipart/x-mixed-replace; boundary=frame_boundary`): parts of `Content-Type`,
 * `Content-Length` and `X-Frame-Index` headers, a blank line, the bytes, CRLF; then the closing
 * boundary. Parts are found by their `Content-Length`, never by scanning the bytes for the boundary.
 */
export interface FramePart {
  readonly frameIndex: number;
  readonly contentType: string;
  readonly bytes: Uint8Array;
}

export class MultipartError extends Error {
  override readonly name = "MultipartError";
}

const CRLF_CRLF = [13, 10, 13, 10];

function indexOfSeq(buf: Uint8Array, seq: readonly number[], from: number): number {
  outer: for (let i = from; i + seq.length <= buf.length; i++) {
    for (let j = 0; j < seq.length; j++) if (buf[i + j] !== seq[j]) continue outer;
    return i;
  }
  return -1;
}

export function parseFrameBatch(body: Uint8Array, boundary = "frame_boundary"): FramePart[] {
  const text = new TextDecoder("latin1");
  const out: FramePart[] = [];
  const open = `--${boundary}`;
  let pos = 0;
  for (;;) {
    const head = text.decode(body.subarray(pos, Math.min(body.length, pos + open.length + 2)));
    if (head.startsWith(`${open}--`)) return out;
    if (!head.startsWith(`${open}\r\n`)) throw new MultipartError(`no boundary at byte ${pos}`);
    const headersStart = pos + open.length + 2;
    const headersEnd = indexOfSeq(body, CRLF_CRLF, headersStart);
    if (headersEnd < 0) throw new MultipartError(`unterminated part headers at byte ${headersStart}`);
    const headers = new Map<string, string>();
    for (const line of text.decode(body.subarray(headersStart, headersEnd)).split("\r\n")) {
      const i = line.indexOf(":");
      if (i > 0) headers.set(line.slice(0, i).trim().toLowerCase(), line.slice(i + 1).trim());
    }
    const length = Number(headers.get("content-length"));
    const frameIndex = Number(headers.get("x-frame-index"));
    if (!Number.isSafeInteger(length) || length < 0) throw new MultipartError("a part has no Content-Length");
    if (!Number.isSafeInteger(frameIndex)) throw new MultipartError("a part has no X-Frame-Index");
    const start = headersEnd + 4;
    const end = start + length;
    if (end + 2 > body.length) throw new MultipartError(`part of frame ${frameIndex} is cut short`);
    out.push({ frameIndex, contentType: headers.get("content-type") ?? "", bytes: body.subarray(start, end) });
    pos = end + 2;
  }
}
