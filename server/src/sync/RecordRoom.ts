import * as Y from "yjs";
import type { LogPosition, RecordKey, RecordLog } from "@tessera/storage";
import {
  canEditRecord,
  clearOutsideLayout,
  encodeSyncFrame,
  PERSISTENCE_ORIGIN,
  readRecordCell,
  recordMap,
  serverOrigin,
  SyncType,
  transact,
  type DatasetSchema,
  type DocChanges,
  type Origin,
  type WorkflowAction,
  type WorkflowResult,
} from "@tessera/shared-crdt";
import type { Logger } from "../logger.js";
import { AwarenessRelay } from "./awarenessRelay.js";
import { ClientIntake } from "./ClientIntake.js";
import type { Clock } from "./clock.js";
import type { Connection } from "./Connection.js";
import type { RowOwnerLookup } from "./documentRules.js";
import { DurableLog } from "./DurableLog.js";
import { WorkflowError } from "./errors.js";
import { FlushScheduler } from "./FlushScheduler.js";
import { sessionOf } from "./frameIntake.js";
import { FullStateCache } from "./fullStateCache.js";
import type { Identity } from "./identity.js";
import type { SyncLimits } from "./limits.js";
import type { SyncPersister } from "./ports.js";
import type { EditEvent, EmitRoomEvent, PresenceEvent } from "./roomEvents.js";
import { applyServerEdit, serverWriterId } from "./serverEdit.js";
import { ServerReplica } from "./serverReplica.js";

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

/**
 * One open record: its `Y.Doc`, the connections editing it, their awareness, its write-ahead log
 * and its flush schedule (docs/ARCHITECTURE.md §3). It speaks the y-websocket protocol to each connection,
 * validates and repairs every client transaction (SPEC D-REPAIR, through its {@link ClientIntake}),
 * applies W1, keeps read-only connections from writing, and confirms an update to its sender only
 * once it is durable.
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
  /** The edit pipeline of the connections' frames. */
  private readonly intake: ClientIntake;
  private flushedUpTo: LogPosition = 0;
  /** The warm copy of the document server-side writes are tried on. */
  readonly serverReplica: ServerReplica;
  private destroyedFlag = false;
  /** The answer to joiners with an empty state vector, encoded once per version of the document. */
  private readonly fullState: FullStateCache;

  constructor(private readonly deps: RecordRoomDeps) {
    this.key = deps.key;
    this.doc = deps.doc;
    this.schemaOf = deps.schema;
    this.serverReplica = new ServerReplica({
      doc: deps.doc,
      writerId: serverWriterId(deps.doc, deps.random ?? Math.random),
      clock: deps.clock,
    });
    // Registered first: any change, the persistence origin and quarantined updates included, drops it.
    this.fullState = new FullStateCache(deps.doc, deps.fullState ?? null);
    this.relay = new AwarenessRelay(deps.doc, deps.clock, deps.limits, () => this.connections);
    this.durable = new DurableLog(deps.log, deps.key, deps.clock, deps.limits, deps.logger);
    this.flusher = new FlushScheduler(deps.clock, deps.limits, () => this.flush(), deps.logger, { ...deps.key });
    this.doc.on("update", this.onUpdate);
    this.intake = new ClientIntake({
      room: this,
      clock: deps.clock,
      limits: deps.limits,
      logger: deps.logger,
      ...(deps.rowOwners ? { rowOwners: deps.rowOwners } : {}),
      fullState: () => this.fullState.step2(),
      onUpdate: (update, origin) => this.onUpdate(update, origin),
      accepted: (userId, changes, sessionId) => this.accepted(userId, changes, "client", sessionId),
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
    if (origin === PERSISTENCE_ORIGIN || this.intake.gather(update, origin)) return;
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
    conn.attach((frames, deadline) => this.intake.receiveBatch(conn, frames, deadline));
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
   * Runs `fn` on the room's replica of the document in one transaction tagged `origin`, checks it the
   * way client edits are checked, and applies it to the live document only when it is valid —
   * otherwise throws {@link RoomEditError} and nothing changes. Returns `fn`'s result and a promise
   * that resolves once the change is durable.
   */
  edit<T>(origin: Origin, userId: string, fn: (doc: Y.Doc) => T): { result: T; durable: Promise<boolean> } {
    const result = applyServerEdit({
      replica: this.serverReplica,
      schema: this.schemaOf,
      recordId: this.key.recordId,
      origin,
      fn,
      accepted: (changes) => this.accepted(userId, changes, "rest", null),
    });
    return { result, durable: this.durable.barrier() };
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
    this.serverReplica.drop();
    this.intake.dispose();
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
