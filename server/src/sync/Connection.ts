import { randomUUID } from "node:crypto";
import type { RawData, WebSocket } from "ws";
import type { RecordKey } from "@tessera/dataset/state";
import { CloseCode, encodeSyncFrame, encodeTesseraMessage, SyncType, type TesseraMessage } from "@tessera/shared-crdt";
import type { Logger } from "../logger.js";
import type { Clock } from "./clock.js";
import { awarenessUserOf, type AwarenessUser, type Identity } from "./identity.js";
import { IntakeQueue } from "./IntakeQueue.js";
import type { SyncLimits } from "./limits.js";

const MINUTE = 60_000;

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

/**
 * One websocket on one record. Its frames go through a bounded {@link IntakeQueue}: held until its
 * room is ready (a record loads once, and nothing is answered before that), then handed over in
 * batches, with the socket paused while its backlog is large and a close (4429) past the hard
 * bound. It sends with a bound on what a slow peer may buffer, counts the invalid updates it sent,
 * and confirms its updates in order once they are durable.
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
  private readonly intake: IntakeQueue;
  private handler: ((frames: readonly Uint8Array[], deadline: number) => number) | null = null;
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
    this.intake = new IntakeQueue(limits, {
      handle: (frames, deadline) => this.dispatch(frames, deadline),
      pause: () => ws.pause(),
      resume: () => ws.resume(),
      overflow: (frames, bytes) => {
        this.logger.warn("sync intake over its bound; closing", { ...this.context(), frames, bytes });
        this.close(CloseCode.tooManyPending, "too many pending updates");
      },
    });
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
    if (frame.length > this.limits.maxUpdateBytes) {
      this.close(CloseCode.updateTooLarge, `frame over ${this.limits.maxUpdateBytes} bytes`);
      return;
    }
    this.intake.push(frame);
  }

  private dispatch(frames: readonly Uint8Array[], deadline: number): number {
    if (!this.isOpen || !this.handler) return frames.length;
    try {
      return this.handler(frames, deadline);
    } catch (err) {
      // A bug in handling one frame must not take the process down; this connection's view of the
      // document may be off, so it is closed and its client resyncs from the server's state.
      this.logger.error("sync frame handling failed", { ...this.context(), error: (err as Error).stack ?? String(err) });
      this.close(CloseCode.internalError, "internal error");
      return frames.length;
    }
  }

  /** Hands frames to the room, in order, in batches: first the ones queued during the load, then live ones. */
  attach(handler: (frames: readonly Uint8Array[], deadline: number) => number): void {
    if (!this.isOpen) return;
    this.handler = handler;
    this.intake.start();
  }

  /** Whether the intake currently stops reading this socket (back-pressure). */
  get throttled(): boolean {
    return this.intake.isPaused;
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
    this.intake.stop();
    // A paused socket would never read the peer's close frame.
    if (this.intake.isPaused) this.ws.resume();
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
    this.intake.stop();
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
   * sync status green — and tells a Tessera client how many of its updates are durable. `update`
   * may be the merge of `count` consecutive content frames (one batch of the intake). Echoes go
   * out in the order the updates came in; until then the update counts in the intake's backlog.
   */
  confirmAfter(durable: Promise<boolean>, update: Uint8Array, count = 1): void {
    this.accepted += count;
    const n = this.accepted;
    this.intake.hold(count, update.length);
    this.echoChain = this.echoChain
      .then(() => durable)
      .then((ok) => {
        this.intake.release(count, update.length);
        // Not durable (the room was shut down while the log refused appends): never say "saved".
        if (!ok || !this.isOpen) return;
        this.send(encodeSyncFrame(SyncType.update, update));
        this.confirmed = n;
        this.sendTessera({ kind: "confirmed", count: this.confirmed });
      });
  }
}
