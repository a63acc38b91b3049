import * as Y from "yjs";
import type { LogPosition, RecordKey, RecordLog } from "@tessera/storage";
import {
  CloseCode,
  canEditRecord,
  clearOutsideLayout,
  clientOrigin,
  decodeFrame,
  encodeSyncFrame,
  FrameError,
  observeRecordChanges,
  PERSISTENCE_ORIGIN,
  readRecordCell,
  recordMap,
  repairDoc,
  serverOrigin,
  settleQuestionNumbers,
  SyncType,
  transact,
  wouldWait,
  type DatasetSchema,
  type DocChanges,
  type LayoutBreach,
  type Origin,
  type ValidationIssue,
  type WorkflowAction,
  type WorkflowResult,
} from "@tessera/shared-crdt";
import type { Logger } from "../logger.js";
import { AwarenessRelay } from "./awarenessRelay.js";
import type { Clock } from "./clock.js";
import type { Connection } from "./Connection.js";
import { DurableLog } from "./DurableLog.js";
import {
  issuesByTarget,
  MAX_BATCH_UPDATES,
  MAX_RUN_FRAMES,
  MAX_UNMERGED_UPDATES,
  mergeAll,
  type IntakeBatch,
} from "./intakeBatch.js";
import { RoomEditError, WorkflowError } from "./errors.js";
import { FlushScheduler } from "./FlushScheduler.js";
import { FullStateCache } from "./fullStateCache.js";
import { pixanoRowRules } from "./pixanoRowRules.js";
import type { Identity } from "./identity.js";
import type { SyncLimits } from "./limits.js";
import type { SyncPersister } from "./ports.js";
import type { EditEvent, EmitRoomEvent, PresenceEvent } from "./roomEvents.js";
import { readLayout, removeForeignRows, reportOutsideLayout, type RowOwnerLookup } from "./documentRules.js";

export interface RecordRoomDeps {
  readonly key: RecordKey;
  readonly doc: Y.Doc;
  /** The dataset's schema, read on every check: a table declared while the room is open counts. */
  readonly schema: () => DatasetSchema;
  readonly log: RecordLog;
  readonly persister: SyncPersister;
  readonly clock: Clock;
  readonly limits: SyncLimits;
  readonly logger: Logger;
  readonly emit: EmitRoomEvent;
  /** For row ids of a table: id → `record_id` of the stored row (SPEC D-OWNER); absent: no check. */
  readonly rowOwners?: RowOwnerLookup;
  /** Uniform in [0, 1), for the server's Yjs writer id; `Math.random` unless a test seeds it. */
  readonly random?: () => number;
  /**
   * `Y.encodeStateAsUpdate(doc)` as the loader already holds it (the snapshot's bytes when nothing
   * was applied on top): the first joiner's step 2 is served from it without encoding.
   */
  readonly fullState?: Uint8Array;
}

/** The state vector of an empty document (a client joining with nothing): a varint 0, no entries. */
function isEmptyStateVector(sv: Uint8Array): boolean {
  return sv.length === 1 && sv[0] === 0;
}

/** An empty Yjs update (no structs, no deletions): what a client with nothing new sends as step 2. */
function isEmptyUpdate(u: Uint8Array): boolean {
  return u.length === 2 && u[0] === 0 && u[1] === 0;
}

function sessionOf(origin: unknown): string | null {
  const o = origin as { source?: unknown; sessionId?: unknown } | null;
  return o !== null && typeof o === "object" && o.source === "client" && typeof o.sessionId === "string"
    ? o.sessionId
    : null;
}

/** Yjs client id used for every server-side write of one room (REST edits): one per room, never a client's. */
function serverWriterId(doc: Y.Doc, random: () => number): number {
  let id = doc.clientID;
  while (id === doc.clientID) id = Math.floor(random() * 0x7fffffff);
  return id;
}

/**
 * One open record: its `Y.Doc`, the connections editing it, their awareness, its write-ahead log
 * and its flush schedule (docs/ARCHITECTURE.md §3). It speaks the y-websocket protocol to each connection,
 * validates and repairs every client transaction (SPEC D-REPAIR), applies W1, keeps read-only
 * connections from writing, and confirms an update to its sender only once it is durable.
 */
export class RecordRoom {
  readonly key: RecordKey;
  readonly doc: Y.Doc;
  private readonly schemaOf: () => DatasetSchema;

  /** The dataset's schema as it is now. */
  get schema(): DatasetSchema {
    return this.schemaOf();
  }
  readonly connections = new Set<Connection>();
  readonly relay: AwarenessRelay;
  readonly durable: DurableLog;
  readonly flusher: FlushScheduler;
  private flushedUpTo: LogPosition = 0;
  private capturing: Origin | null = null;
  private captured: DocChanges | null = null;
  /** The document update of the client transaction being applied (see applyContent). */
  private capturedUpdate: Uint8Array | null = null;
  private readonly stopObserving: () => void;
  private readonly writerId: number;
  private destroyedFlag = false;
  /** While an update that writes outside the layout is applied and cleared: nothing is logged nor relayed raw. */
  private quarantined = false;
  /** The intake batch being handled, if any (see {@link receiveBatch}). */
  private batch: IntakeBatch | null = null;
  /** The answer to joiners with an empty state vector, encoded once per version of the document. */
  private readonly fullState: FullStateCache;

  constructor(private readonly deps: RecordRoomDeps) {
    this.key = deps.key;
    this.doc = deps.doc;
    this.schemaOf = deps.schema;
    this.writerId = serverWriterId(deps.doc, deps.random ?? Math.random);
    // Registered first: any change, the persistence origin and quarantined updates included, drops it.
    this.fullState = new FullStateCache(deps.doc, deps.fullState ?? null);
    this.relay = new AwarenessRelay(deps.doc, deps.clock, deps.limits, () => this.connections);
    this.durable = new DurableLog(deps.log, deps.key, deps.clock, deps.limits, deps.logger);
    this.flusher = new FlushScheduler(deps.clock, deps.limits, () => this.flush(), deps.logger, { ...deps.key });
    this.doc.on("update", this.onUpdate);
    this.stopObserving = observeRecordChanges(this.doc, (changes) => {
      if (this.capturing !== null && changes.origin === this.capturing) this.captured = changes;
    });
    // D-LAYOUT-ONLY for what was stored before the rule: the clearing is logged, so the next persist drops it too.
    const cleared = clearOutsideLayout(this.doc, serverOrigin("repair:layout"));
    if (cleared.length > 0)
      deps.logger.warn("stored content outside the record layout cleared", {
        ...deps.key,
        roots: cleared.slice(0, 10),
      });
  }

  get destroyed(): boolean {
    return this.destroyedFlag;
  }

  /** The stored status: a workflow value or any other string (SPEC W7); `new` when absent. */
  get status(): string {
    const s = readRecordCell(this.doc, "status");
    return typeof s === "string" ? s : "new";
  }

  /** How many times this room encoded its whole document for joiners with an empty state vector. */
  get fullStateEncodings(): number {
    return this.fullState.encodings;
  }

  /** Nothing in memory that the snapshot and rows do not have: safe to unload. */
  get quiescent(): boolean {
    return !this.flusher.dirty && this.durable.idle && this.durable.lastPosition <= this.flushedUpTo;
  }

  // ── durability and fan-out ────────────────────────────────────────────────────────────────

  /**
   * Every update after the load goes to the log; client updates are relayed to the other
   * connections at once (one message per frame: v3 clients read one per frame), server-side ones
   * (repairs, workflow, REST) to everyone.
   */
  private readonly onUpdate = (update: Uint8Array, origin: unknown): void => {
    if (origin === PERSISTENCE_ORIGIN || this.quarantined) return;
    if (origin === this.capturing) this.capturedUpdate = update;
    if (this.batch) {
      // Inside a connection's intake batch: gathered, appended and relayed once at its end.
      this.batch.all.push(update);
      if (sessionOf(origin) !== this.batch.conn.sessionId) this.batch.forSender.push(update);
      return;
    }
    void this.durable.append(update);
    this.flusher.touch();
    const from = sessionOf(origin);
    const frame = encodeSyncFrame(SyncType.update, update);
    for (const conn of this.connections) if (conn.sessionId !== from) conn.send(frame);
  };

  private async flush(): Promise<void> {
    await this.durable.barrier();
    const { upTo } = await this.deps.persister.flush(this.key);
    if (upTo > 0) await this.deps.log.trim(this.key, upTo);
    if (upTo > this.flushedUpTo) this.flushedUpTo = upTo;
    this.deps.emit("flushed", { ...this.key, upTo });
  }

  // ── connections ───────────────────────────────────────────────────────────────────────────

  private presence(conn: Connection): PresenceEvent {
    const { id, name, role } = conn.identity;
    return { ...this.key, sessionId: conn.sessionId, userId: id, name, role, readOnly: conn.readOnly };
  }

  private readOnlyFor(identity: Identity): boolean {
    return !canEditRecord(this.status, identity.role);
  }

  /**
   * Admits a connection whose record just finished loading (or was already loaded): it learns its
   * rights, its queued frames are handled in order (its step 1 is answered now, after the load,
   * unless it was answered from the stored bytes during the load: `answeredFrom`),
   * then it gets the server's step 1 (so it uploads what it has that we lack) and everyone's
   * awareness.
   */
  join(conn: Connection, answeredFrom: Uint8Array | null = null): void {
    this.connections.add(conn);
    conn.readOnly = this.readOnlyFor(conn.identity);
    conn.sendTessera({ kind: "welcome", sessionId: conn.sessionId, readOnly: conn.readOnly, status: this.status });
    this.deps.emit("join", this.presence(conn));
    // Its step 1 was answered from the stored bytes while the room loaded: what changed since then
    // (content outside the layout cleared at construction) goes to it now, deletions included.
    if (answeredFrom && this.fullState.changed)
      conn.send(
        encodeSyncFrame(SyncType.update, Y.encodeStateAsUpdate(this.doc, Y.encodeStateVectorFromUpdate(answeredFrom))),
      );
    conn.attach((frames, deadline) => this.receiveBatch(conn, frames, deadline));
    if (!conn.isOpen) return;
    conn.send(encodeSyncFrame(SyncType.step1, Y.encodeStateVector(this.doc)));
    const states = this.relay.snapshotFrame();
    if (states) conn.send(states);
  }

  leave(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    this.relay.removePeer(conn);
    this.deps.emit("leave", this.presence(conn));
  }

  /**
   * A batch of a connection's frames, in order. Each frame is handled as before (its own
   * transaction, repair and verdict), but the document updates they cause are gathered and, at
   * the end, merged into ONE log append and ONE relay frame (unless they are the sender's one update
   * and a few of the server's: see endBatch), and the sender's content frames are
   * confirmed together once that append is durable — so a burst of tiny updates costs one fsync
   * entry, one fan-out and one confirmation instead of thousands. Stops at `deadline` (the rest
   * comes back on the next turn of the event loop); returns how many frames it handled.
   */
  private receiveBatch(conn: Connection, frames: readonly Uint8Array[], deadline: number): number {
    this.batch = { conn, all: [], forSender: [], confirm: [] };
    let handled = 0;
    let run: Uint8Array[] = [];
    try {
      for (const frame of frames) {
        if (!conn.isOpen || (handled > 0 && this.deps.clock.elapsed() > deadline)) break;
        handled++;
        const msg = this.decode(conn, frame);
        if (msg === null) break;
        if (msg.type === "sync" && msg.subtype !== SyncType.step1) {
          run.push(msg.payload);
          if (run.length >= MAX_RUN_FRAMES) {
            this.applyContent(conn, run);
            run = [];
          }
          continue;
        }
        if (run.length > 0) this.applyContent(conn, run);
        run = [];
        if (conn.isOpen) this.receive(conn, msg);
        // Bounds what endBatch merges.
        if (this.batch.all.length >= MAX_BATCH_UPDATES || this.batch.confirm.length >= MAX_BATCH_UPDATES) break;
      }
      if (run.length > 0 && conn.isOpen) this.applyContent(conn, run);
      return handled;
    } finally {
      const batch = this.batch;
      this.batch = null;
      this.endBatch(batch);
    }
  }

  private endBatch(batch: IntakeBatch): void {
    const { conn, all, forSender, confirm } = batch;
    if (all.length > 0) {
      // One update of the sender's and a few of the server's (its W1, a repair) are appended and
      // relayed as they are: merging them would cost more than the appends it saves
      // (`Y.mergeUpdates` re-encodes every struct). Several of the sender's are merged (P-CONFIRM).
      const fromSender = all.length - forSender.length;
      const parts = fromSender <= 1 && all.length <= MAX_UNMERGED_UPDATES ? all : [mergeAll(all)];
      for (const update of parts) {
        void this.durable.append(update);
        const frame = encodeSyncFrame(SyncType.update, update);
        for (const other of this.connections) if (other !== conn) other.send(frame);
      }
      this.flusher.touch();
      // The sender gets what the server wrote meanwhile (repairs, W1) now; its own updates come
      // back as the echo once durable.
      if (forSender.length > 0) conn.send(encodeSyncFrame(SyncType.update, mergeAll(forSender)));
    }
    if (confirm.length > 0 && conn.isOpen) {
      const echo = mergeAll(confirm.map((c) => c.update));
      conn.confirmAfter(
        this.durable.barrier(),
        echo,
        confirm.reduce((n, c) => n + c.frames, 0),
      );
    }
  }

  private decode(conn: Connection, frame: Uint8Array): ReturnType<typeof decodeFrame> | null {
    if (frame.length > this.deps.limits.maxUpdateBytes) {
      conn.close(CloseCode.updateTooLarge, `frame over ${this.deps.limits.maxUpdateBytes} bytes`);
      return null;
    }
    try {
      return decodeFrame(frame);
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      conn.close(CloseCode.malformedFrame, err.message);
      return null;
    }
  }

  private receive(conn: Connection, msg: ReturnType<typeof decodeFrame>): void {
    switch (msg.type) {
      case "sync":
        if (msg.subtype === SyncType.step1) this.answerStep1(conn, msg.payload);
        else this.applyContent(conn, [msg.payload]);
        return;
      case "awareness":
        this.applyAwareness(conn, msg.update);
        return;
      case "queryAwareness": {
        const states = this.relay.snapshotFrame();
        if (states) conn.send(states);
        return;
      }
      case "auth":
      case "tessera":
        // Clients have nothing to say on these channels yet; ignoring them is harmless.
        return;
    }
  }

  private answerStep1(conn: Connection, stateVector: Uint8Array): void {
    if (isEmptyStateVector(stateVector)) {
      conn.send(this.fullState.step2());
      return;
    }
    let diff: Uint8Array;
    try {
      diff = Y.encodeStateAsUpdate(this.doc, stateVector);
    } catch (err) {
      conn.close(CloseCode.malformedFrame, `malformed state vector: ${(err as Error).message}`);
      return;
    }
    conn.send(encodeSyncFrame(SyncType.step2, diff));
  }

  private applyAwareness(conn: Connection, update: Uint8Array): void {
    try {
      const verdict = this.relay.apply(conn, update);
      if (verdict === "too_large") this.deps.logger.warn("awareness state over the size cap dropped", conn.context());
      else if (verdict === "too_many_entries") {
        conn.close(
          CloseCode.tooManyAwarenessClients,
          `awareness frame over ${this.deps.limits.maxAwarenessEntriesPerFrame} entries`,
        );
      } else if (verdict === "too_many_clients") {
        conn.close(
          CloseCode.tooManyAwarenessClients,
          `over ${this.deps.limits.maxAwarenessClientsPerConnection} awareness client ids on one connection`,
        );
      }
    } catch (err) {
      if (!(err instanceof FrameError)) throw err;
      conn.close(CloseCode.malformedFrame, err.message);
    }
  }

  /**
   * Consecutive `[0,1]` / `[0,2]` frames from a connection: dropped when read-only; else each is
   * read for its roots first (SPEC D-LAYOUT-ONLY) — runs of frames inside the layout are applied
   * in ONE transaction (one repair pass, one document update), a frame writing outside it on its
   * own — then repaired and confirmed when durable. Invalid content among several frames is
   * rejected per row (one `rejected` message and one strike towards 4422 per invalid row, at most
   * one strike per frame), as the frames would have been one by one.
   */
  private applyContent(conn: Connection, updates: readonly Uint8Array[]): void {
    if (conn.readOnly) {
      if (updates.some((u) => !isEmptyUpdate(u)))
        conn.sendTessera({ kind: "rejected", reason: "read_only", issues: [] });
      return;
    }
    let run: Uint8Array[] = [];
    for (const update of updates) {
      const breaches = readLayout(conn, update);
      if (breaches === null) return;
      if (breaches.length === 0) {
        run.push(update);
        continue;
      }
      if (run.length > 0 && !this.applyRun(conn, run)) return;
      run = [];
      if (!this.applyOutsideLayout(conn, update, breaches)) return;
    }
    if (run.length > 0) this.applyRun(conn, run);
  }

  /** Applies frames inside the layout together and confirms them; false when the connection was closed. */
  private applyRun(conn: Connection, updates: readonly Uint8Array[]): boolean {
    if (!this.integrate(conn, updates)) return false;
    const frames = updates.length;
    // What to echo: one frame as it came; several as the document update they made together.
    const update = frames === 1 ? updates[0]! : (this.capturedUpdate ?? updates[frames - 1]!);
    this.capturedUpdate = null;
    this.confirm(conn, update, frames);
    return true;
  }

  /** Inside an intake batch the confirmation waits for the batch's append (see endBatch). */
  private confirm(conn: Connection, update: Uint8Array, frames: number): void {
    if (this.batch?.conn === conn) this.batch.confirm.push({ update, frames });
    else conn.confirmAfter(this.durable.barrier(), update, frames);
  }

  /**
   * SPEC D-LAYOUT-ONLY: an update that writes outside the layout is applied (a client's changes
   * are a sequence: refusing one would strand every later one) but neither logged nor relayed as
   * sent; what is outside the layout is deleted at once, and what is left — the client's changes
   * with that content reduced to tombstones, and the repairs — is logged and relayed instead. One
   * that Yjs would keep pending (missing dependencies) is refused whole. False when the
   * connection was closed.
   */
  private applyOutsideLayout(conn: Connection, update: Uint8Array, breaches: readonly LayoutBreach[]): boolean {
    // Structs Yjs would keep pending cannot be cleared (and would still be served): refuse those whole.
    if (wouldWait(this.doc, update)) return reportOutsideLayout(conn, breaches, this.deps.logger);
    const before = Y.encodeStateVector(this.doc);
    let integrated = false;
    this.quarantined = true;
    try {
      integrated = this.integrate(conn, [update]);
      clearOutsideLayout(this.doc, serverOrigin("repair:layout"));
    } finally {
      this.quarantined = false;
      this.capturedUpdate = null;
      // Whatever got in must reach the log and the other replicas: later updates build on it.
      this.onUpdate(Y.encodeStateAsUpdate(this.doc, before), serverOrigin("repair:layout"));
    }
    const open = reportOutsideLayout(conn, breaches, this.deps.logger);
    if (open && integrated) this.confirm(conn, update, 1);
    return open && integrated;
  }

  /** Applies and repairs client updates in one transaction; false when the connection was closed for them. */
  private integrate(conn: Connection, updates: readonly Uint8Array[]): boolean {
    const frames = updates.length;
    const origin = clientOrigin(conn.sessionId);
    this.capturing = origin;
    this.captured = null;
    this.capturedUpdate = null;
    let failure: Error | null = null;
    try {
      // Nested applyUpdate calls join the outer transaction: observers, repair and the update
      // event run once for all of them (linear, unlike merging the updates first).
      Y.transact(
        this.doc,
        () => {
          for (const u of updates) Y.applyUpdate(this.doc, u, origin);
        },
        origin,
        false,
      );
    } catch (err) {
      // A malformed update can fail after part of it was integrated; what got in is still
      // checked and repaired below before the connection is closed.
      failure = err as Error;
    } finally {
      this.capturing = null;
    }
    const changes = this.captured as DocChanges | null;
    this.captured = null;
    let issues: ValidationIssue[] = [];
    if (changes)
      issues = repairDoc(this.doc, this.schemaOf(), this.key.recordId, changes, serverOrigin("repair"), {
        statusWritable: false,
      });
    if (failure) {
      conn.close(CloseCode.malformedFrame, `malformed update: ${failure.message}`);
      return false;
    }
    if (issues.length > 0) {
      const groups = frames > 1 ? issuesByTarget(issues) : [issues];
      for (const group of groups) {
        const statusOnly = group.every((i) => i.path === "record.status");
        conn.sendTessera({
          kind: "rejected",
          reason: statusOnly ? "status_via_workflow" : "invalid_rows",
          issues: group,
        });
      }
      this.deps.logger.info("client update repaired", { ...conn.context(), issues: issues.length, frames });
      for (let i = 0; i < Math.min(frames, groups.length); i++) {
        if (conn.noteInvalid()) {
          conn.close(CloseCode.tooManyInvalid, "too many invalid updates");
          return false;
        }
      }
    } else if (changes) {
      this.accepted(conn.identity.id, changes, "client", conn.sessionId);
    }
    if (changes?.tables.has("messages")) this.settleQuestionNumbers(conn, changes);
    if (changes && this.deps.rowOwners)
      void removeForeignRows({ room: this, conn, changes, owners: this.deps.rowOwners, logger: this.deps.logger });
    return true;
  }

  /** D-VQA-NUMBER: two questions asked at the same moment in one conversation get distinct numbers. */
  private settleQuestionNumbers(conn: Connection, changes: DocChanges): void {
    const moved = settleQuestionNumbers(this.doc, changes, serverOrigin("vqa:number"));
    if (moved > 0) this.deps.logger.info("question numbers settled", { ...conn.context(), moved });
  }

  /** An edit that passed validation: W1 (a `new` record starts), then the edit event. */
  private accepted(userId: string, changes: DocChanges, source: "client" | "rest", sessionId: string | null): void {
    if (this.status === "new") {
      transact(this.doc, serverOrigin("workflow:edit"), () => recordMap(this.doc).set("status", "inProgress"));
      this.deps.emit("status", { ...this.key, from: "new", to: "inProgress", action: "edit", userId, comment: "" });
    }
    this.deps.emit("edit", {
      ...this.key,
      userId,
      source,
      sessionId,
      tables: [...changes.tables.keys()],
      counts: countChanges(changes),
      recordFields: [...changes.record.keys()],
    });
  }

  /** After a status change: connections whose rights changed are told (Tessera clients) and re-flagged. */
  private refreshRights(): void {
    for (const conn of this.connections) {
      const readOnly = this.readOnlyFor(conn.identity);
      if (readOnly !== conn.readOnly) conn.readOnly = readOnly;
      conn.sendTessera({ kind: "welcome", sessionId: conn.sessionId, readOnly: conn.readOnly, status: this.status });
    }
  }

  // ── server-side writes ────────────────────────────────────────────────────────────────────

  /**
   * Runs `fn` on a scratch copy of the document in one transaction tagged `origin`, checks it the
   * way client edits are checked, and applies it to the live document only when it is valid —
   * otherwise throws {@link RoomEditError} and nothing changes. Returns `fn`'s result and a promise
   * that resolves once the change is durable.
   */
  edit<T>(origin: Origin, userId: string, fn: (doc: Y.Doc) => T): { result: T; durable: Promise<boolean> } {
    const scratch = new Y.Doc({ gc: true });
    try {
      Y.applyUpdate(scratch, Y.encodeStateAsUpdate(this.doc), PERSISTENCE_ORIGIN);
      // Set after the copy: Yjs re-rolls a doc's client id when a remote update advances it.
      scratch.clientID = this.writerId;
      let changes: DocChanges | null = null;
      const stop = observeRecordChanges(scratch, (c) => {
        if (c.origin === origin) changes = c;
      });
      const before = Y.encodeStateVector(scratch);
      let result!: T;
      try {
        transact(scratch, origin, () => {
          result = fn(scratch);
        });
      } finally {
        stop();
      }
      const found = changes as DocChanges | null;
      if (found) {
        // REST writes follow Pixano's rules (SPEC R-PIXANO): its table models, not Tessera's stricter ones.
        const schema = this.schemaOf();
        const rowRules = origin.source === "rest" ? pixanoRowRules(schema) : undefined;
        const issues = repairDoc(scratch, schema, this.key.recordId, found, serverOrigin("check"), {
          statusWritable: false,
          ...(rowRules ? { rowRules } : {}),
        });
        if (issues.length > 0) throw new RoomEditError(issues);
      }
      const diff = Y.encodeStateAsUpdate(scratch, before);
      if (!isEmptyUpdate(diff)) Y.applyUpdate(this.doc, diff, origin);
      if (found) this.accepted(userId, found, "rest", null);
      return { result, durable: this.durable.barrier() };
    } finally {
      scratch.destroy();
    }
  }

  /**
   * A status change (SPEC W1–W8) as a server transaction — the status, and the comment of a
   * rejection — optionally after an edit of the record in the same turn (REST `PUT`). `decide`
   * answers for the current status (`null`: no change). Everything is checked before anything is
   * applied: a refused change throws {@link WorkflowError}, an invalid edit {@link RoomEditError},
   * and then nothing changed.
   */
  workflow(
    decide: (from: string) => WorkflowResult | null,
    identity: Identity,
    comment: string,
    edit?: { readonly origin: Origin; readonly fn: (doc: Y.Doc) => void },
  ): { change: StatusMove | null; durable: Promise<boolean> } {
    const first = decide(this.status);
    if (first && !first.ok) throw new WorkflowError(first.reason, first.message);
    if (edit) this.edit(edit.origin, identity.id, edit.fn);
    // The edit may have started a `new` record (W1): decide again from where it is now.
    const r = edit ? decide(this.status) : first;
    if (!r) return { change: null, durable: this.durable.barrier() };
    if (!r.ok) throw new Error(`workflow: ${r.message} after an accepted edit of ${this.key.recordId}`);
    const { action, from, to } = r;
    transact(this.doc, serverOrigin(`workflow:${action}`), () => {
      const rec = recordMap(this.doc);
      rec.set("status", to);
      // The record's `comment` is its own (Pixano's annotator note): a rejection's reason goes to a review thread (RV5).
    });
    this.deps.emit("status", {
      ...this.key,
      from,
      to,
      action,
      userId: identity.id,
      comment: action === "reject" ? comment : "",
    });
    this.refreshRights();
    return { change: { from, to, action }, durable: this.durable.barrier() };
  }

  // ── lifecycle ─────────────────────────────────────────────────────────────────────────────

  /** Closes every connection (e.g. 1001 at shutdown, 4410 when the record is deleted). */
  closeAll(code: number, reason: string): void {
    for (const conn of [...this.connections]) conn.close(code, reason);
  }

  destroy(): void {
    if (this.destroyedFlag) return;
    this.destroyedFlag = true;
    this.flusher.dispose();
    this.stopObserving();
    this.doc.off("update", this.onUpdate);
    this.fullState.dispose();
    this.relay.destroy();
    this.doc.destroy();
  }
}

/** A status change a room applied. */
export interface StatusMove {
  readonly from: string;
  readonly to: string;
  readonly action: WorkflowAction;
}

/** Rows added, updated and removed per table by one transaction (for the activity feed). */
function countChanges(changes: DocChanges): EditEvent["counts"] {
  const out: Record<string, { added: number; updated: number; removed: number }> = {};
  for (const [table, rows] of changes.tables) {
    const c = { added: 0, updated: 0, removed: 0 };
    for (const change of rows.values()) c[change.kind] += 1;
    out[table] = c;
  }
  return out;
}
