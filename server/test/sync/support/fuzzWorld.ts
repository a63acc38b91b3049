import * as Y from "yjs";
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";
import type { LogEntry, LogPosition, RecordKey, RecordLog } from "@tessera/storage";
import { decodeTesseraMessage, MessageType, SyncType, type TesseraMessage } from "@tessera/shared-crdt";
import type { Clock, TimerHandle } from "../../../src/sync/clock.js";
import type { Connection } from "../../../src/sync/Connection.js";
import type { FlushResult } from "../../../src/persist/index.js";
import type { SyncPersister } from "../../../src/sync/ports.js";
import type { RoomSocket } from "../../../src/sync/socket.js";
import type { RandomSource } from "../../../../shared-crdt/test/support/RandomSource.js";

/**
 * The world the convergence fuzzer runs the real room in: a seeded clock, an in-memory record log
 * whose fsyncs the fuzzer decides, a persister folding that log into a snapshot, and in-memory
 * websockets (per-link FIFO, as TCP) between y-websocket-protocol clients and the room.
 */

/** One turn of the event loop: lets the intake's microtasks, immediates and promise chains run. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Time only moves when the fuzzer says; `elapsed()` ticks a seeded 0–3 ms per reading, so intake slices end. */
export class FuzzClock implements Clock {
  private t = 0;
  private mono = 0;
  private seq = 0;
  private timers: Array<{ at: number; seq: number; fn: () => void; cancelled: boolean }> = [];

  constructor(private readonly ticks: RandomSource) {}

  now(): number {
    return this.t;
  }

  elapsed(): number {
    this.mono += this.ticks.float(0, 3);
    return this.mono;
  }

  after(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.t + ms, seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Moves time forward, firing due timers in order with a turn of the event loop after each. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers = this.timers.filter((x) => !x.cancelled);
      const due = this.timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      due.cancelled = true;
      this.t = due.at;
      due.fn();
      await turn();
    }
    this.t = end;
  }
}

/** A record log in memory; an append is durable only when the fuzzer calls {@link fsync} (or it fails, if told to). */
export class FuzzLog implements RecordLog {
  private readonly entries = new Map<string, LogEntry[]>();
  private next = 1;
  private held: Array<() => void> = [];
  /** The next appends throw (a disk error): the room must retry them. */
  failures = 0;
  appends = 0;

  private name(key: RecordKey): string {
    return JSON.stringify([key.datasetId, key.recordId]);
  }

  get unsynced(): number {
    return this.held.length;
  }

  append(key: RecordKey, update: Uint8Array): Promise<LogPosition> {
    if (this.failures > 0) {
      this.failures--;
      return Promise.reject(new Error("EIO: simulated disk error"));
    }
    this.appends++;
    const pos = this.next++;
    const list = this.entries.get(this.name(key)) ?? [];
    list.push({ pos, update });
    this.entries.set(this.name(key), list);
    return new Promise((resolve) => this.held.push(() => resolve(pos)));
  }

  /** Makes every append so far durable. */
  fsync(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }

  read(key: RecordKey, after: LogPosition = 0): Promise<LogEntry[]> {
    return Promise.resolve((this.entries.get(this.name(key)) ?? []).filter((e) => e.pos > after));
  }

  trim(key: RecordKey, upTo: LogPosition): Promise<void> {
    this.entries.set(
      this.name(key),
      (this.entries.get(this.name(key)) ?? []).filter((e) => e.pos > upTo),
    );
    return Promise.resolve();
  }

  pending(): Promise<RecordKey[]> {
    return Promise.resolve([]);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Folds the log into a stored snapshot, as the real persister does (rows are tested elsewhere). */
export class FuzzPersister implements SyncPersister {
  readonly stored = new Y.Doc();
  foldedUpTo: LogPosition = 0;
  flushes = 0;

  constructor(
    private readonly log: FuzzLog,
    initial: Uint8Array,
  ) {
    Y.applyUpdate(this.stored, initial);
  }

  async flush(key: RecordKey): Promise<FlushResult> {
    const entries = await this.log.read(key, this.foldedUpTo);
    for (const e of entries) Y.applyUpdate(this.stored, e.update);
    const last = entries[entries.length - 1];
    if (last) this.foldedUpTo = last.pos;
    this.flushes++;
    return { upTo: this.foldedUpTo, rowsWritten: 0, rowsDeleted: 0, statusChanged: false };
  }

  /** What a restart would load: the snapshot plus the log's tail. */
  async reload(key: RecordKey): Promise<Y.Doc> {
    const doc = new Y.Doc();
    Y.applyUpdate(doc, Y.encodeStateAsUpdate(this.stored));
    for (const e of await this.log.read(key, this.foldedUpTo)) Y.applyUpdate(doc, e.update);
    return doc;
  }
}

/** One websocket between a client and the room: two FIFO queues (TCP keeps order on a link). */
export class Link {
  readonly up: Uint8Array[] = [];
  readonly down: Uint8Array[] = [];
  /** `open`; `closing`: the server closed it (the close frame follows what it already sent); `dead`: the client dropped it, the server has not noticed yet; `closed`. */
  state: "open" | "closing" | "dead" | "closed" = "open";
  /** Off while the room's intake pauses the socket (back-pressure): nothing is read from `up`. */
  serverReading = true;
  /** Times the room paused reading this socket. */
  pauses = 0;
  closeCode: number | null = null;
  /** Content frames (`[0,1]`, `[0,2]`) handed to the server while the connection was open. */
  contentDelivered = 0;
  conn: Connection | null = null;
  joined = false;

  constructor(readonly client: FuzzClient) {}

  get downBytes(): number {
    return this.down.reduce((n, f) => n + f.length, 0);
  }
}

/** The server end of a {@link Link}, as the room sees it. */
export class MemorySocket implements RoomSocket {
  constructor(private readonly link: Link) {}

  get isOpen(): boolean {
    return this.link.state === "open" || this.link.state === "dead";
  }

  get bufferedAmount(): number {
    return this.link.downBytes;
  }

  send(frame: Uint8Array): void {
    if (this.link.state === "open") this.link.down.push(frame);
  }

  close(code: number): void {
    if (this.link.state !== "open" && this.link.state !== "dead") return;
    this.link.closeCode = code;
    this.link.state = this.link.state === "dead" ? "closed" : "closing";
  }

  reading(on: boolean): void {
    if (!on) this.link.pauses++;
    this.link.serverReading = on;
  }
}

/** A client speaking the y-websocket protocol as `WebsocketProvider` does (y-protocols' sync messages), over a {@link Link}. */
export class FuzzClient {
  readonly doc = new Y.Doc();
  link: Link | null = null;
  /** Set by the first step 2 on a link, as the provider's `synced`. */
  synced = false;
  readonly tessera: TesseraMessage[] = [];
  /** Confirmed counts on the current link, in arrival order. */
  confirmed: number[] = [];

  constructor(
    readonly index: number,
    clientId: number,
  ) {
    this.doc.clientID = clientId;
    this.doc.on("update", (update: Uint8Array, origin: unknown) => {
      if (origin === this) return;
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, MessageType.sync);
      syncProtocol.writeUpdate(enc, update);
      this.send(encoding.toUint8Array(enc));
    });
  }

  private send(frame: Uint8Array): void {
    if (this.link?.state === "open") this.link.up.push(frame);
  }

  /** A new socket is open: step 1 goes first. */
  open(link: Link): void {
    this.link = link;
    this.confirmed = [];
    const enc = encoding.createEncoder();
    encoding.writeVarUint(enc, MessageType.sync);
    syncProtocol.writeSyncStep1(enc, this.doc);
    this.send(encoding.toUint8Array(enc));
  }

  disconnected(): void {
    this.link = null;
  }

  receive(frame: Uint8Array): void {
    const dec = decoding.createDecoder(frame);
    const type = decoding.readVarUint(dec);
    if (type === MessageType.sync) {
      const enc = encoding.createEncoder();
      encoding.writeVarUint(enc, MessageType.sync);
      const subtype = syncProtocol.readSyncMessage(dec, enc, this.doc, this);
      if (subtype === SyncType.step2) this.synced = true;
      if (encoding.length(enc) > 1) this.send(encoding.toUint8Array(enc));
    } else if (type === MessageType.tessera) {
      const msg = decodeTesseraMessage(frame);
      this.tessera.push(msg);
      if (msg.kind === "confirmed") this.confirmed.push(msg.count);
    }
    // Awareness frames carry nobody's state here; the stock provider would just apply them.
  }
}
