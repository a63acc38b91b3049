import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { Logger } from "../logger.js";
import { hostRefusal, type HostPolicy } from "./hosts.js";
import { targetRefusal } from "./requestTarget.js";

/**
 * The listening server's only `request` and `upgrade` listeners. Every request and websocket
 * upgrade — REST, media, the web client, the sync endpoint, socket.io (polling and websocket) —
 * passes two checks here, then goes on to `endpoints`: a plain `http.Server` that never listens
 * and on which the endpoints (Express, the sync endpoint, socket.io) register their listeners as
 * they would on a real one.
 *
 * 1. `Host` ({@link hostRefusal}): 403 `{"detail"}` for names this server does not answer (DNS rebinding).
 * 2. The path ({@link targetRefusal}): 400 `{"detail"}` for bad percent-encoding or a dot-segment.
 *
 * Refusals are written here, before any endpoint has seen the request, so nothing else answers it.
 */
export function installFrontDoor(
  listening: Server,
  endpoints: Server,
  options: { readonly hosts: HostPolicy; readonly logger: Logger },
): void {
  const { hosts, logger } = options;
  const refusalOf = (req: IncomingMessage): { status: number; detail: string } | null => {
    const host = hostRefusal(hosts, req.headers.host);
    if (host !== null) return { status: 403, detail: host };
    return targetRefusal(req.url);
  };

  listening.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const refusal = refusalOf(req);
    if (refusal) {
      logger.info("request refused at the front door", {
        method: req.method,
        path: (req.url ?? "").split("?", 1)[0]?.slice(0, 200),
        host: req.headers.host?.slice(0, 100),
        status: refusal.status,
      });
      sendRefusal(res, refusal.status, refusal.detail);
      return;
    }
    endpoints.emit("request", req, res);
  });

  listening.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = refusalOf(req);
    if (refusal) {
      logger.info("upgrade refused at the front door", {
        path: (req.url ?? "").split("?", 1)[0]?.slice(0, 200),
        host: req.headers.host?.slice(0, 100),
        status: refusal.status,
      });
      refuseUpgradeJson(socket, refusal.status, refusal.detail, logger);
      return;
    }
    endpoints.emit("upgrade", req, socket, head);
  });
}

/** The refusal, then the connection closes (a refused request's body is not worth reading). */
function sendRefusal(res: ServerResponse, status: number, detail: string): void {
  const body = JSON.stringify({ detail });
  res.writeHead(status, {
    Connection: "close",
    "Content-Type": "application/json",
    "Content-Length": Buffer.byteLength(body),
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  res.end(body);
}

/** A plain HTTP refusal on an upgrade's socket, with a `{"detail"}` body, then the socket closes. */
function refuseUpgradeJson(socket: Duplex, status: number, detail: string, logger: Logger): void {
  // The client may already be gone: its socket error is about this refusal only.
  socket.on("error", (err: Error) => logger.info("refused upgrade socket error", { error: err.message }));
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ detail });
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? "Error"}`,
    "Connection: close",
    "Content-Type: application/json",
    `Content-Length: ${Buffer.byteLength(body)}`,
    "Cache-Control: no-store",
  ].join("\r\n");
  socket.once("finish", () => socket.destroy());
  socket.end(`${head}\r\n\r\n${body}`);
}
