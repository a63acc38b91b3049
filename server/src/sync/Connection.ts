import { randomUUID } from "node:crypto";
import type { RawData, WebSocket } from "ws";
import type { RecordKey } from "@tessera/dataset/state";
import { CloseCode, encodeSyncFrame, encodeTesseraMessage, SyncType, type TesseraMessage } from "@tessera/shared-crdt";
import type { Logger } from "../logger.js";
import type { Clock } from "./clock.js";
import { awarenessUserOf, type AwarenessUser, type Identity } from "./identity.js";
import type { SyncLimits } from "./limits.js";

const MINUTE = 60_000;

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/**
 * One websocket on one record. It queues frames until its room is ready (a record loads once, and
 * nothing is answered before that), sends with a bound on what a slow peer may buffer, counts the
 * invalid updates it sent, and confirms its updates in order once they are durable.
 */
export class Connection {
  readonly sessionId = randomUUID();
  readonly user: AwarenessUser;
  /** Decided by the room from the role and the record's status (SPEC W5); re-decided on status changes. */
  readOnly = false;
  /** Cleared on each ping, set on pong: a peer that misses a whole period is dead. */
  alive = true;
  /** Clock time of the last frame sent (keep-alive). */
  lastSentAt: number;
  private queue: Uint8Array[] | null = [];
  private handler: ((frame: Uint8Array) => void) | null = null;
  private readonly closeListeners: Array<() => void> = [];
  private closing = false;
  private finished = false;
  private invalidAt: number[] = [];
  private accepted = 0;
  private confirmed = 0;
  private echoChain: Promise<void> = Promise.resolve();

  constructor(
    readonly ws: WebSocket,
    readonly identity: Identity,
    readonly key: RecordKey,
    private readonly limits: SyncLimits,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.user = awarenessUserOf(identity);
    this.lastSentAt = clock.now();
    ws.on("message", (data, isBinary) => this.receive(toBytes(data), isBinary));
    ws.on("pong", () => {
      this.alive = true;
    });
    ws.on("error", (err) => {
      // ws closes the socket itself after an error (bad frame, payload over maxPayload); the
      // "close" event below does the cleanup, so logging is all that is left to do here.
      this.logger.warn("sync socket error", { ...this.context(), error: err.message });
    });
    ws.on("close", () => this.finish());
  }

  get tessera(): boolean {
    return this.identity.tessera;
  }

  get isOpen(): boolean {
    return !this.closing && !this.finished;
  }

  context(): Record<string, unknown> {
    return { datasetId: this.key.datasetId, recordId: this.key.recordId, sessionId: this.sessionId, userId: this.identity.id };
  }

  onClose(fn: () => void): void {
    if (this.finished) fn();
    else this.closeListeners.push(fn);
  }

  private receive(frame: Uint8Array, isBinary: boolean): void {
    if (!this.isOpen) return;
    if (!isBinary) {
      this.close(CloseCode.malformedFrame, "text frames are not y-websocket messages");
      return;
    }
    if (this.handler) {
      this.dispatch(frame);
      return;
    }
    if (this.queue && this.queue.length >= this.limits.maxQueuedFrames) {
      this.close(CloseCode.tryLater, "too many frames while the record loads");
      return;
    }
    this.queue?.push(frame);
  }

  private dispatch(frame: Uint8Array): void {
    try {
      this.handler?.(frame);
    } catch (err) {
      // A bug in handling one frame must not take the process down; this connection's view of the
      // document may be off, so it is closed and its client resyncs from the server's state.
      this.logger.error("sync frame handling failed", { ...this.context(), error: (err as Error).stack ?? String(err) });
      this.close(CloseCode.internalError, "internal error");
    }
  }

  /** Hands frames to the room: first the ones queued during the load, in order, then live ones. */
  attach(handler: (frame: Uint8Array) => void): void {
    this.handler = handler;
    const queued = this.queue ?? [];
    this.queue = null;
    for (const frame of queued) {
      if (!this.isOpen) break;
      this.dispatch(frame);
    }
  }

  send(frame: Uint8Array): void {
    if (!this.isOpen || this.ws.readyState !== this.ws.OPEN) return;
    if (this.ws.bufferedAmount > this.limits.maxBufferedBytes) {
      this.close(CloseCode.tryLater, "too slow to keep up");
      return;
    }
    this.ws.send(frame, { binary: true });
    this.lastSentAt = this.clock.now();
  }

  /** Type-100 messages go to Tessera's own client only; stock clients would log an error. */
  sendTessera(msg: TesseraMessage): void {
    if (this.identity.tessera) this.send(encodeTesseraMessage(msg));
  }

  close(code: number, reason: string): void {
    if (!this.isOpen) return;
    this.closing = true;
    this.handler = null;
    this.queue = null;
    // A close reason is at most 123 bytes.
    this.ws.close(code, Buffer.from(reason).subarray(0, 123).toString());
  }

  /** Drops the socket without a close handshake (dead peer). */
  terminate(): void {
    this.closing = true;
    this.ws.terminate();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.closing = true;
    this.handler = null;
    this.queue = null;
    for (const fn of this.closeListeners.splice(0)) fn();
  }

  /** Notes one invalid update; true when the connection crossed `maxInvalidPerMinute`. */
  noteInvalid(): boolean {
    const now = this.clock.now();
    this.invalidAt = this.invalidAt.filter((t) => now - t < MINUTE);
    this.invalidAt.push(now);
    return this.invalidAt.length > this.limits.maxInvalidPerMinute;
  }

  /**
   * Once `durable` resolves true (the log appends this update caused, and every earlier one, are
   * fsync'd), echoes `update` to its sender — which is what turns a stock y-websocket 3.1 client's
   * sync status green — and tells a Tessera client how many of its updates are durable. Echoes
   * go out in the order the updates came in.
   */
  confirmAfter(durable: Promise<boolean>, update: Uint8Array): void {
    const n = ++this.accepted;
    this.echoChain = this.echoChain
      .then(() => durable)
      .then((ok) => {
        // Not durable (the room was shut down while the log refused appends): never say "saved".
        if (!ok || !this.isOpen) return;
        this.send(encodeSyncFrame(SyncType.update, update));
        this.confirmed = n;
        this.sendTessera({ kind: "confirmed", count: this.confirmed });
      });
  }
}
