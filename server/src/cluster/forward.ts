import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, type RawData } from "ws";
import { CloseCode } from "@tessera/shared-crdt";
import type { Logger } from "../logger.js";
import { every, type Clock, type TimerHandle } from "../sync/clock.js";
import { describeRequest, refuseUpgrade } from "../sync/upgrade.js";

/** Bytes buffered towards one side past which the other side is no longer read, and below which it is again. */
const FORWARD_HIGH_WATER = 1 << 20;
const FORWARD_LOW_WATER = 1 << 18;
/** How long the owner may take to answer the internal upgrade. */
const HANDSHAKE_TIMEOUT_MS = 5_000;
/** The most of a refusal's body relayed to the client. */
const MAX_REFUSAL_BYTES = 1_024;

export interface ForwardOptions {
  /** The owner's websocket URL for this record (`ws://…/sync/<ds>/<rec>?…`). */
  readonly target: string;
  /** The signed identity headers (`ForwardSigner.sign`). */
  readonly headers: Readonly<Record<string, string>>;
  /** Accepts the client's upgrade (the sync endpoint's `WebSocketServer.handleUpgrade`). */
  readonly accept: (onClient: (ws: WebSocket) => void) => void;
  readonly maxPayload: number;
  /** Keep-alive of the client's socket (the owner pings its own end). */
  readonly pingIntervalMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A client's websocket piped to the record's owner. */
export interface ForwardedPipe {
  /** Resolves once both sockets are closed (or the forward was refused). */
  readonly done: Promise<void>;
  /** Closes both ends with `code` (e.g. 1001 at shutdown). */
  close(code: number, reason: string): void;
}

function toBuffer(data: RawData): Buffer {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  return data;
}

/**
 * A code one end may send: 1005 (none), 1006 (abnormal, e.g. the owner was killed) and 1015 are only ever
 * reported, never sent. An owner that vanished becomes {@link CloseCode.ownerLost}, which clients retry.
 */
function sendable(code: number, fallback: number): number {
  if (code === 1005 || code === 1006 || code === 1015 || code < 1000 || code >= 5000) return fallback;
  return code;
}

function shortReason(reason: Buffer | string): string {
  return Buffer.from(reason).subarray(0, 123).toString();
}

/**
 * Pipes a client's sync upgrade to the record's owner (docs/ARCHITECTURE.md §6): the internal websocket is
 * opened first, so the owner's refusal (401/403/404/503) reaches the client as the same HTTP answer and a stock
 * client backs off as it would on one process; once it is open the client's upgrade is accepted and frames
 * flow both ways in order, binary as sent. Back-pressure: a side whose peer has more than
 * {@link FORWARD_HIGH_WATER} bytes buffered is not read until that drops below {@link FORWARD_LOW_WATER}.
 * Close codes pass through; an owner that goes away without one closes the client with 4503 (reconnect).
 */
export function forwardUpgrade(req: IncomingMessage, socket: Duplex, opts: ForwardOptions): ForwardedPipe {
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const upstream = new WebSocket(opts.target, {
    headers: opts.headers,
    perMessageDeflate: false,
    maxPayload: opts.maxPayload,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  });
  let client: WebSocket | null = null;
  let settled = false;
  /** Frames of the owner that arrived before the client's upgrade was accepted. */
  const early: Array<{ data: Buffer; binary: boolean }> = [];
  let pinger: TimerHandle | null = null;

  const finish = () => {
    if (settled) return;
    settled = true;
    pinger?.cancel();
    resolveDone();
  };
  const refuse = (status: number, message: string, headers: Record<string, string> = {}) => {
    refuseUpgrade(socket, status, message, headers);
    finish();
  };

  upstream.on("unexpected-response", (_request, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on("data", (c: Buffer) => {
      if (size < MAX_REFUSAL_BYTES) chunks.push(c);
      size += c.length;
    });
    res.on("error", () => undefined);
    res.on("end", () => {
      const body = Buffer.concat(chunks).subarray(0, MAX_REFUSAL_BYTES).toString("utf8").trim();
      const retry = res.headers["retry-after"];
      const status = res.statusCode ?? 502;
      refuse(
        status >= 400 && status < 600 ? status : 502,
        body || "refused by the record's owner",
        typeof retry === "string" ? { "Retry-After": retry } : {},
      );
    });
    upstream.terminate();
  });
  upstream.on("error", (err) => {
    if (client === null) {
      if (!settled) {
        opts.logger.info("record owner unreachable; client asked to retry", {
          ...describeRequest(req),
          error: err.message,
        });
        refuse(503, "the record's owner is unreachable; retry", { "Retry-After": "1" });
      }
      return;
    }
    opts.logger.warn("forwarded sync socket error (owner side)", { ...describeRequest(req), error: err.message });
  });
  upstream.on("message", (data, isBinary) => {
    const bytes = toBuffer(data);
    if (client === null) {
      early.push({ data: bytes, binary: isBinary });
      return;
    }
    relay(upstream, client, bytes, isBinary);
  });
  upstream.on("close", (code, reason) => {
    if (client === null) {
      if (!settled) refuse(503, "the record's owner closed the connection; retry", { "Retry-After": "1" });
      return;
    }
    if (client.readyState === WebSocket.OPEN || client.readyState === WebSocket.CONNECTING)
      client.close(sendable(code, CloseCode.ownerLost), shortReason(reason) || "the record's owner went away");
  });
  upstream.on("open", () => {
    if (socket.destroyed) {
      upstream.close(CloseCode.goingAway, "client gone");
      finish();
      return;
    }
    opts.accept((ws) => {
      client = ws;
      for (const f of early.splice(0)) relay(upstream, ws, f.data, f.binary);
      ws.on("message", (data, isBinary) => relay(ws, upstream, toBuffer(data), isBinary));
      ws.on("error", (err) =>
        opts.logger.info("forwarded sync socket error (client side)", { ...describeRequest(req), error: err.message }),
      );
      ws.on("close", (code, reason) => {
        if (upstream.readyState === WebSocket.OPEN)
          upstream.close(sendable(code, CloseCode.goingAway), shortReason(reason));
        else if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
        finish();
      });
      let alive = true;
      ws.on("pong", () => (alive = true));
      pinger = every(opts.clock, opts.pingIntervalMs, () => {
        if (!alive) {
          ws.terminate();
          return;
        }
        alive = false;
        ws.ping();
      });
    });
  });

  return {
    done,
    close(code, reason) {
      if (client) client.close(code, reason);
      if (upstream.readyState === WebSocket.OPEN) upstream.close(code, reason);
      else if (upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
      if (!client && !settled) refuse(503, reason, { "Retry-After": "1" });
    },
  };
}

/** Sends `data` from `from`'s side to `to`, pausing `from` while `to` holds too much unsent. */
function relay(from: WebSocket, to: WebSocket, data: Buffer, binary: boolean): void {
  if (to.readyState !== WebSocket.OPEN) return;
  to.send(data, { binary }, () => {
    if (from.isPaused && to.bufferedAmount <= FORWARD_LOW_WATER) from.resume();
  });
  if (!from.isPaused && to.bufferedAmount > FORWARD_HIGH_WATER) from.pause();
}
