import { randomUUID } from "node:crypto";
import type { RecordKey } from "@tessera/storage";
import { CloseCode, encodeSyncFrame, encodeTesseraMessage, SyncType, type TesseraMessage } from "@tessera/shared-crdt";
import type { Logger } from "../logger.js";
import type { Clock } from "./clock.js";
import { awarenessUserOf, type AwarenessUser, type Identity } from "./identity.js";
import { IntakeQueue } from "./IntakeQueue.js";
import type { SyncLimits } from "./limits.js";
import type { RoomSocket } from "./socket.js";

const MINUTE = 60_000;

/** `[messageSync, step1, length 1, state vector with no client]`: what a client holding nothing sends first. */
function isEmptyStep1(frame: Uint8Array): boolean {
  return frame.length === 4 && frame[0] === 0 && frame[1] === SyncType.step1 && frame[2] === 1 && frame[3] === 0;
}

/**
 * One websocket on one record, over a {@link RoomSocket} (whoever owns the transport hands its
 * frames to {@link receive} and its end to {@link ended}). Its frames go through a bounded
 * {@link IntakeQueue}: held until its room is ready (a record loads once, and nothing is answered
 * before that), then handed over in batches, with the socket paused while its backlog is large
 * and a close (4429) past the hard bound. It sends with a bound on what a slow peer may buffer,
 * counts the invalid updates it sent, and confirms its updates in order once they are durable.
 */
export class Connection {
  readonly sessionId = randomUUID();
  readonly user: AwarenessUser;
  /** Decided by the room from the role and the record's status (SPEC W5); re-decided on status changes. */
  readOnly = false;
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
  /** While its room loads: told of each frame queued (see {@link whileLoading}). */
  private onQueued: (() => void) | null = null;

  constructor(
    private readonly socket: RoomSocket,
    readonly identity: Identity,
    readonly key: RecordKey,
    private readonly limits: SyncLimits,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.user = awarenessUserOf(identity);
    this.lastSentAt = clock.now();
    this.intake = new IntakeQueue(limits, clock, {
      handle: (frames, deadline) => this.dispatch(frames, deadline),
      pause: () => socket.reading(false),
      resume: () => socket.reading(true),
      overflow: (frames, bytes) => {
        this.logger.warn("sync intake over its bound; closing", { ...this.context(), frames, bytes });
        this.close(CloseCode.tooManyPending, "too many pending updates");
      },
    });
  }

  get tessera(): boolean {
    return this.identity.tessera;
  }

  get isOpen(): boolean {
    return !this.closing && !this.finished;
  }

  context(): Record<string, unknown> {
    return {
      datasetId: this.key.datasetId,
      recordId: this.key.recordId,
      sessionId: this.sessionId,
      userId: this.identity.id,
    };
  }

  onClose(fn: () => void): void {
    if (this.finished) fn();
    else this.closeListeners.push(fn);
  }

  /** A frame the peer sent (`isBinary`: a binary websocket message). */
  receive(frame: Uint8Array, isBinary: boolean): void {
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
    if (this.onQueued && !this.handler) this.onQueued();
  }

  /**
   * While its room loads, `fn` runs after each frame it queues (null: stop): a joiner whose first
   * frame comes after the loader told the state can still be answered early.
   */
  whileLoading(fn: (() => void) | null): void {
    this.onQueued = fn;
  }

  private dispatch(frames: readonly Uint8Array[], deadline: number): number {
    if (!this.isOpen || !this.handler) return frames.length;
    try {
      return this.handler(frames, deadline);
    } catch (err) {
      // A bug in handling one frame must not take the process down; this connection's view of the
      // document may be off, so it is closed and its client resyncs from the server's state.
      this.logger.error("sync frame handling failed", {
        ...this.context(),
        error: (err as Error).stack ?? String(err),
      });
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

  /**
   * While its room loads: if the first frame it sent is a sync step 1 with an empty state vector
   * (a client with nothing, y-websocket's first message), answers it with `step2` (the whole
   * document as the loader already holds it) and drops it from the intake; true when it did.
   */
  answerStep1Early(step2: Uint8Array): boolean {
    if (!this.isOpen || !this.intake.takeFirstIf(isEmptyStep1)) return false;
    this.send(step2);
    return true;
  }

  /** Whether the intake currently stops reading this socket (back-pressure). */
  get throttled(): boolean {
    return this.intake.isPaused;
  }

  send(frame: Uint8Array): void {
    if (!this.isOpen || !this.socket.isOpen) return;
    if (this.socket.bufferedAmount > this.limits.maxBufferedBytes) {
      this.close(CloseCode.tryLater, "too slow to keep up");
      return;
    }
    this.socket.send(frame);
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
    if (this.intake.isPaused) this.socket.reading(true);
    this.socket.close(code, reason);
  }

  /** The transport is being dropped without a close handshake (dead peer): nothing more is handled. */
  abandon(): void {
    this.closing = true;
  }

  /** The socket is closed (its close event): the connection is over. */
  ended(): void {
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
