import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import WebSocket from "ws";
import * as Y from "yjs";
import {
  encodeAwarenessFrame,
  encodeSyncFrame,
  MessageType,
  SyncType,
  type TesseraMessage,
} from "@tessera/shared-crdt";
import { nowMs } from "../clock.js";

/** Origin of updates a bot received: never sent back. */
export const REMOTE = Symbol("remote");

/**
 * What a bot does with the document content it receives:
 * - `none`: reads only the frame header (as y/hub's benchmark client does), so one process can
 *   hold hundreds of clients; its own edits must then not depend on the server's state;
 * - `initial`: applies sync step 2 answers (the state on each (re)connect) but not live updates,
 *   enough to edit its own rows;
 * - `all`: a full replica, like a real provider.
 */
export type RemoteMode = "none" | "initial" | "all";

export interface BotOptions {
  /** `ws://HOST:PORT/sync/DATASET/RECORD?…` */
  readonly url: string;
  readonly remote: RemoteMode;
  /** The bot's replica; a fresh one by default. A seeded doc uploads its content in its step 2. */
  readonly doc?: Y.Doc;
  /** Reconnect after an unexpected close (exponential backoff 100 ms → 2.5 s, like y-websocket). */
  readonly autoReconnect?: boolean;
  /**
   * Keep the first step 2's bytes (a `none` bot applies nothing): {@link holdEdits} with a marker
   * then tells the server's state vector from them, so the marker's step 1 asks for almost nothing.
   */
  readonly keepJoinState?: boolean;
}

interface SentFrame {
  /** Highest edit sequence number this frame carries (an edit, or a step 2 with every edit so far). */
  readonly seq: number;
  readonly at: number;
  /** A live edit (its confirmation delay is a durable-ack sample), not a step 2. */
  readonly edit: boolean;
}

export interface BotCounters {
  framesIn: number;
  bytesIn: number;
  updatesIn: number;
  awarenessIn: number;
  framesOut: number;
  bytesOut: number;
  connects: number;
  closes: number;
}

/**
 * A y-websocket client at the protocol level (y-protocols framing over `ws`): sync step 1/2 and
 * updates, awareness, and Tessera's type-100 messages (`confirmed` counts this connection's
 * content frames — step 2 answers and updates — in order, once durable). It times its sync and
 * the confirmation of each edit with the shared monotonic clock.
 */
export class Bot {
  readonly doc: Y.Doc;
  readonly counters: BotCounters = {
    framesIn: 0,
    bytesIn: 0,
    updatesIn: 0,
    awarenessIn: 0,
    framesOut: 0,
    bytesOut: 0,
    connects: 0,
    closes: 0,
  };
  /** `[sentAt, confirmedAfterMs]` per confirmed edit (Tessera only). */
  readonly acks: Array<[number, number]> = [];
  /**
   * `[sentAt, processedAfterMs]` per held edit sent with a marker: its frame's send → the step 2
   * answering the step 1 sent right after it on the same socket (both servers handle a
   * connection's frames in order, so that answer is written once the edit was handled).
   */
  readonly processed: Array<[number, number]> = [];
  /** Highest edit sequence number the server confirmed durable (-1: none). */
  confirmedSeq = -1;
  /** Highest edit sequence number made locally (-1: none). */
  lastEditSeq = -1;
  /** Connect call → first step 2 of the current connection, in ms (NaN until synced). */
  syncMs = Number.NaN;
  syncedAt = Number.NaN;
  synced = false;
  lastError: string | null = null;
  /** Set when this bot should not reconnect (it left, or the owner holds reconnects). */
  hold = false;
  private ws: WebSocket | null = null;
  private sent: SentFrame[] = [];
  private confirmedFrames = 0;
  private pendingSeq = -1;
  private connectStartedAt = 0;
  private awarenessClock = 0;
  private backoff = 0;
  private left = false;
  private waiters: Array<(synced: boolean) => void> = [];
  /** While set ({@link holdEdits}): the frames of local edits, made but not sent yet. */
  private held: Array<{ readonly seq: number; readonly frame: Uint8Array }> | null = null;
  /** The first step 2's bytes (`keepJoinState`), until a marker is made from them. */
  private joinState: Uint8Array | null = null;
  /** The step 1 frame sent after the held edits ({@link prepareMarker}), and when the edits went out. */
  private marker: Uint8Array | null = null;
  private markerSentAt = Number.NaN;

  constructor(readonly options: BotOptions) {
    this.doc = options.doc ?? new Y.Doc();
    this.doc.on("update", this.onLocalUpdate);
  }

  /** A marker went out and its answer has not come yet. */
  get markerPending(): boolean {
    return Number.isFinite(this.markerSentAt);
  }

  get open(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  /** Opens a connection (sync starts on open); {@link whenSynced} tells when step 2 arrived. */
  connect(): void {
    if (this.ws && this.ws.readyState !== WebSocket.CLOSED) return;
    this.left = false;
    this.synced = false;
    this.syncMs = Number.NaN;
    this.sent = [];
    this.confirmedFrames = 0;
    this.connectStartedAt = nowMs();
    const ws = new WebSocket(this.options.url, { perMessageDeflate: false });
    ws.binaryType = "nodebuffer";
    this.ws = ws;
    ws.on("open", () => {
      this.counters.connects++;
      this.backoff = 0;
      this.send(encodeSyncFrame(SyncType.step1, Y.encodeStateVector(this.doc)));
    });
    ws.on("message", (data: Buffer) => this.receive(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
    ws.on("error", (err) => {
      // The close event follows and decides about reconnecting; keep the reason for the report.
      this.lastError = err.message;
    });
    ws.on("close", () => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.counters.closes++;
      this.synced = false;
      if (!this.left && !this.hold && this.options.autoReconnect) {
        const delay = Math.min(2500, 100 * 2 ** this.backoff++);
        setTimeout(() => {
          if (!this.left && !this.hold) this.connect();
        }, delay);
      } else {
        for (const w of this.waiters.splice(0)) w(false);
      }
    });
  }

  /**
   * Resolves true once the current connection received the server's state (step 2), false if it
   * closed before that and will not reconnect by itself.
   */
  whenSynced(): Promise<boolean> {
    if (this.synced) return Promise.resolve(true);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /**
   * One local edit with sequence number `seq`: `fn` changes the replica (through the shared-crdt
   * mutators), the resulting update goes out as one frame.
   */
  edit(seq: number, fn: (doc: Y.Doc) => void): void {
    this.pendingSeq = seq;
    try {
      fn(this.doc);
    } finally {
      this.pendingSeq = -1;
    }
    if (seq > this.lastEditSeq) this.lastEditSeq = seq;
  }

  /**
   * From now on the frames of local edits are made but kept back until {@link sendHeldEdits}: a
   * burst can then be prepared (the Yjs work of making the edits) before it is timed.
   */
  holdEdits(): void {
    this.held ??= [];
  }

  /**
   * Sends the held edit frames, in order, and stops holding. Each edit's confirmation delay is
   * timed from the moment its own frame is handed to the socket. Returns the frames sent.
   */
  sendHeldEdits(): number {
    const frames = this.held ?? [];
    this.held = null;
    let at = Number.NaN;
    for (const { seq, frame } of frames) {
      if (!this.open) break;
      at = nowMs();
      this.sent.push({ seq, at, edit: true });
      this.send(frame);
    }
    if (this.marker && this.open && frames.length > 0) {
      this.send(this.marker);
      this.markerSentAt = at;
    }
    this.marker = null;
    return frames.length;
  }

  /**
   * After the held edits are made: a sync step 1 to send right behind them, with the state vector
   * of the server's document at the join merged with ours (so its step 2 answer is nearly empty:
   * the server's writes since the join, if any). Needs `keepJoinState`; false without it.
   */
  prepareMarker(): boolean {
    if (!this.joinState) return false;
    const sv = new Map(Y.decodeStateVector(Y.encodeStateVectorFromUpdate(this.joinState)));
    for (const [client, clock] of Y.decodeStateVector(Y.encodeStateVector(this.doc)))
      sv.set(client, Math.max(clock, sv.get(client) ?? 0));
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, sv.size);
    for (const [client, clock] of sv) {
      encoding.writeVarUint(e, client);
      encoding.writeVarUint(e, clock);
    }
    this.marker = encodeSyncFrame(SyncType.step1, encoding.toUint8Array(e));
    this.joinState = null;
    return true;
  }

  /** Sends one awareness state (null: gone) under the replica's client id. */
  sendAwareness(state: Record<string, unknown> | null): void {
    this.awarenessClock++;
    const e = encoding.createEncoder();
    encoding.writeVarUint(e, 1);
    encoding.writeVarUint(e, this.doc.clientID);
    encoding.writeVarUint(e, this.awarenessClock);
    encoding.writeVarString(e, JSON.stringify(state));
    this.send(encodeAwarenessFrame(encoding.toUint8Array(e)));
  }

  /** Leaves for good: awareness removed, socket closed normally, no reconnect. */
  leave(): void {
    this.left = true;
    if (this.open) this.sendAwareness(null);
    this.ws?.close(1000);
  }

  /** Drops the socket without a close handshake and without leaving (it may reconnect). */
  terminate(): void {
    this.ws?.terminate();
  }

  destroy(): void {
    this.leave();
    this.doc.off("update", this.onLocalUpdate);
  }

  private readonly onLocalUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === REMOTE || !this.open) return;
    if (this.held && this.pendingSeq >= 0) {
      this.held.push({ seq: this.pendingSeq, frame: encodeSyncFrame(SyncType.update, update) });
      return;
    }
    this.sent.push({ seq: this.pendingSeq, at: nowMs(), edit: this.pendingSeq >= 0 });
    this.send(encodeSyncFrame(SyncType.update, update));
  };

  private send(frame: Uint8Array): void {
    if (!this.open) return;
    this.counters.framesOut++;
    this.counters.bytesOut += frame.length;
    this.ws?.send(frame);
  }

  private receive(frame: Uint8Array): void {
    this.counters.framesIn++;
    this.counters.bytesIn += frame.length;
    const d = decoding.createDecoder(frame);
    const type = decoding.readVarUint(d);
    if (type === MessageType.sync) {
      const sub = decoding.readVarUint(d);
      if (sub === SyncType.step1) {
        const diff = Y.encodeStateAsUpdate(this.doc, decoding.readVarUint8Array(d));
        // A step 2 answer is a content frame: it carries every local edit the server lacks.
        this.sent.push({ seq: this.lastEditSeq, at: nowMs(), edit: false });
        this.send(encodeSyncFrame(SyncType.step2, diff));
      } else if (sub === SyncType.step2) {
        if (Number.isFinite(this.markerSentAt) && this.synced) {
          this.processed.push([this.markerSentAt, nowMs() - this.markerSentAt]);
          this.markerSentAt = Number.NaN;
          return;
        }
        if (this.options.remote !== "none") Y.applyUpdate(this.doc, decoding.readVarUint8Array(d), REMOTE);
        else if (this.options.keepJoinState && !this.synced) this.joinState = decoding.readVarUint8Array(d).slice();
        if (!this.synced) {
          this.synced = true;
          this.syncedAt = nowMs();
          this.syncMs = this.syncedAt - this.connectStartedAt;
          for (const w of this.waiters.splice(0)) w(true);
        }
      } else {
        this.counters.updatesIn++;
        if (this.options.remote === "all") Y.applyUpdate(this.doc, decoding.readVarUint8Array(d), REMOTE);
      }
    } else if (type === MessageType.awareness) {
      this.counters.awarenessIn++;
    } else if (type === MessageType.tessera) {
      const msg = JSON.parse(decoding.readVarString(d)) as TesseraMessage;
      if (msg.kind === "confirmed") this.confirm(msg.count);
    }
  }

  private confirm(count: number): void {
    const now = nowMs();
    while (this.confirmedFrames < count && this.confirmedFrames < this.sent.length) {
      const f = this.sent[this.confirmedFrames++];
      if (!f) break;
      if (f.edit) this.acks.push([f.at, now - f.at]);
      if (f.seq > this.confirmedSeq) this.confirmedSeq = f.seq;
    }
  }
}
