import type { RawData, WebSocket } from "ws";
import type { Logger } from "../logger.js";
import type { Connection } from "./Connection.js";
import type { RoomSocket } from "./socket.js";

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/**
 * A `ws` WebSocket as a {@link RoomSocket}, plus what only the server's transport has: its
 * keep-alive (ping, pong, terminate). {@link bind} hands the socket's frames and its end to the
 * connection.
 */
export class WsRoomSocket implements RoomSocket {
  /** Cleared on each ping, set on pong: a peer that misses a whole period is dead. */
  alive = true;

  constructor(private readonly ws: WebSocket) {
    ws.on("pong", () => {
      this.alive = true;
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(frame: Uint8Array): void {
    this.ws.send(frame, { binary: true });
  }

  close(code: number, reason: string): void {
    // A close reason is at most 123 bytes.
    this.ws.close(code, Buffer.from(reason).subarray(0, 123).toString());
  }

  reading(on: boolean): void {
    if (on) this.ws.resume();
    else this.ws.pause();
  }

  ping(): void {
    this.ws.ping();
  }

  /** Drops the socket without a close handshake (dead peer). */
  terminate(): void {
    this.ws.terminate();
  }

  /** Feeds `conn` with this socket's frames and its end. */
  bind(conn: Connection, logger: Logger): void {
    this.ws.on("message", (data, isBinary) => conn.receive(toBytes(data), isBinary));
    this.ws.on("error", (err) => {
      // ws closes the socket itself after an error (bad frame, payload over maxPayload); the
      // "close" event below does the cleanup, so logging is all that is left to do here.
      logger.warn("sync socket error", { ...conn.context(), error: err.message });
    });
    this.ws.on("close", () => conn.ended());
  }
}
