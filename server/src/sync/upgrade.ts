import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { RecordKey } from "@tessera/storage";

/** Where the sync endpoint lives: `GET /sync/:datasetId/:recordId`. */
const SYNC_PREFIX = "/sync/";

export type SyncRoute = { readonly kind: "record"; readonly key: RecordKey } | { readonly kind: "malformed" };

/**
 * The record an upgrade request is for, `{kind: "malformed"}` for a `/sync/…` path that names no
 * record (→ 404), or null when the path is not the sync endpoint's (another handler's upgrade:
 * socket.io, a dev proxy — left alone).
 */
export function parseSyncRoute(url: string | undefined): SyncRoute | null {
  const pathname = (url ?? "").split("?", 1)[0] ?? "";
  if (!pathname.startsWith(SYNC_PREFIX)) return null;
  const parts = pathname.slice(SYNC_PREFIX.length).split("/");
  if (parts.length !== 2) return { kind: "malformed" };
  try {
    const [datasetId, recordId] = parts.map((p) => decodeURIComponent(p));
    if (!datasetId || !recordId) return { kind: "malformed" };
    return { kind: "record", key: { datasetId, recordId } };
  } catch (err) {
    if (err instanceof URIError) return { kind: "malformed" };
    throw err;
  }
}

/**
 * Refuses an upgrade with a plain HTTP response before any websocket exists. A stock y-websocket
 * client counts a socket that never opened as a failed attempt and backs off (up to 2.5 s),
 * whereas accepting then closing would have it retry every ~100 ms (collaboration.md §2.5).
 */
export function refuseUpgrade(
  socket: Duplex,
  status: number,
  message: string,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${message}\n`;
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`,
    "Connection: close",
    "Content-Type: text/plain; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  socket.once("finish", () => socket.destroy());
  socket.end(`${lines.join("\r\n")}\r\n\r\n${body}`);
}

/** Short description of a request for logs (no query string: it may carry tokens later). */
export function describeRequest(req: IncomingMessage): Record<string, unknown> {
  return { path: (req.url ?? "").split("?", 1)[0], remote: req.socket.remoteAddress };
}
