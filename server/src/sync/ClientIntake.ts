import * as Y from "yjs";
import type { RecordKey } from "@tessera/storage";
import {
  CloseCode,
  clearOutsideLayout,
  clientOrigin,
  encodeSyncFrame,
  observeRecordChanges,
  repairDoc,
  serverOrigin,
  settleQuestionNumbers,
  SyncType,
  wouldWait,
  type DatasetSchema,
  type DocChanges,
  type LayoutBreach,
  type Origin,
  type ValidationIssue,
} from "@tessera/shared-crdt";
import type { Logger } from "../logger.js";
import type { AwarenessRelay } from "./awarenessRelay.js";
import type { Clock } from "./clock.js";
import type { Connection } from "./Connection.js";
import { readLayout, removeForeignRows, reportOutsideLayout, type RowOwnerLookup } from "./documentRules.js";
import type { DurableLog } from "./DurableLog.js";
import type { FlushScheduler } from "./FlushScheduler.js";
import { answerStep1, applyAwareness, decodeOrClose, isEmptyUpdate, sessionOf, type Frame } from "./frameIntake.js";
import {
  issuesByTarget,
  MAX_BATCH_UPDATES,
  MAX_RUN_FRAMES,
  MAX_UNMERGED_UPDATES,
  mergeAll,
  type IntakeBatch,
} from "./intakeBatch.js";
import type { SyncLimits } from "./limits.js";

/** The record room whose connections' frames an {@link ClientIntake} handles. */
export interface IntakeRoom {
  readonly key: RecordKey;
  readonly doc: Y.Doc;
  readonly destroyed: boolean;
  /** The dataset's schema as it is now. */
  readonly schema: DatasetSchema;
  readonly connections: ReadonlySet<Connection>;
  readonly relay: AwarenessRelay;
  readonly durable: DurableLog;
  readonly flusher: FlushScheduler;
}

export interface ClientIntakeDeps {
  readonly room: IntakeRoom;
  readonly clock: Clock;
  readonly limits: SyncLimits;
  readonly logger: Logger;
  /** For row ids of a table: id → `record_id` of the stored row (SPEC D-OWNER); absent: no check. */
  readonly rowOwners?: RowOwnerLookup;
  /** The sync step 2 answering a joiner with an empty state vector. */
  readonly fullState: () => Uint8Array;
  /** The room's handling of a document update (gathered into the batch, or logged and relayed at once). */
  readonly onUpdate: (update: Uint8Array, origin: unknown) => void;
  /** A client edit that passed validation (W1, the edit event). */
  readonly accepted: (userId: string, changes: DocChanges, sessionId: string) => void;
}

/**
 * The edit pipeline of one record room: a connection's frames, in batches, through decoding,
 * layout and validation (SPEC D-REPAIR, D-LAYOUT-ONLY) into the document, and the updates they
 * cause gathered into one log append, one relay frame and one confirmation per batch.
 */
export class ClientIntake {
  private capturing: Origin | null = null;
  private captured: DocChanges | null = null;
  /** The document update of the client transaction being applied (see applyContent). */
  private capturedUpdate: Uint8Array | null = null;
  private readonly stopObserving: () => void;
  /** While an update that writes outside the layout is applied and cleared: nothing is logged nor relayed raw. */
  private quarantined = false;
  /** The intake batch being handled, if any (see {@link receiveBatch}). */
  private batch: IntakeBatch | null = null;
  private readonly room: IntakeRoom;
  private readonly doc: Y.Doc;

  constructor(private readonly deps: ClientIntakeDeps) {
    this.room = deps.room;
    this.doc = deps.room.doc;
    this.stopObserving = observeRecordChanges(this.doc, (changes) => {
      if (this.capturing !== null && changes.origin === this.capturing) this.captured = changes;
    });
  }

  /**
   * Sees every document update after the load: true when the room must neither log nor relay it
   * now (it is quarantined, or gathered into the intake batch being handled, logged and relayed
   * at its end).
   */
  gather(update: Uint8Array, origin: unknown): boolean {
    if (this.quarantined) return true;
    if (origin === this.capturing) this.capturedUpdate = update;
    if (!this.batch) return false;
    // Inside a connection's intake batch: gathered, appended and relayed once at its end.
    this.batch.all.push(update);
    if (sessionOf(origin) !== this.batch.conn.sessionId) this.batch.forSender.push(update);
    return true;
  }

  dispose(): void {
    this.stopObserving();
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
  receiveBatch(conn: Connection, frames: readonly Uint8Array[], deadline: number): number {
    this.batch = { conn, all: [], forSender: [], confirm: [] };
    let handled = 0;
    let run: Uint8Array[] = [];
    try {
      for (const frame of frames) {
        if (!conn.isOpen || (handled > 0 && this.deps.clock.elapsed() > deadline)) break;
        handled++;
        const msg = decodeOrClose(conn, frame, this.deps.limits);
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
        void this.room.durable.append(update);
        const frame = encodeSyncFrame(SyncType.update, update);
        for (const other of this.room.connections) if (other !== conn) other.send(frame);
      }
      this.room.flusher.touch();
      // The sender gets what the server wrote meanwhile (repairs, W1) now; its own updates come
      // back as the echo once durable.
      if (forSender.length > 0) conn.send(encodeSyncFrame(SyncType.update, mergeAll(forSender)));
    }
    if (confirm.length > 0 && conn.isOpen) {
      const echo = mergeAll(confirm.map((c) => c.update));
      conn.confirmAfter(
        this.room.durable.barrier(),
        echo,
        confirm.reduce((n, c) => n + c.frames, 0),
      );
    }
  }

  private receive(conn: Connection, msg: Frame): void {
    switch (msg.type) {
      case "sync":
        if (msg.subtype === SyncType.step1) answerStep1(conn, this.doc, msg.payload, this.deps.fullState);
        else this.applyContent(conn, [msg.payload]);
        return;
      case "awareness":
        applyAwareness(conn, msg.update, this.room.relay, this.deps.limits, this.deps.logger);
        return;
      case "queryAwareness": {
        const states = this.room.relay.snapshotFrame();
        if (states) conn.send(states);
        return;
      }
      case "auth":
      case "tessera":
        // Clients have nothing to say on these channels yet; ignoring them is harmless.
        return;
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
    else conn.confirmAfter(this.room.durable.barrier(), update, frames);
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
      this.deps.onUpdate(Y.encodeStateAsUpdate(this.doc, before), serverOrigin("repair:layout"));
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
      issues = repairDoc(this.doc, this.room.schema, this.room.key.recordId, changes, serverOrigin("repair"), {
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
      this.deps.accepted(conn.identity.id, changes, conn.sessionId);
    }
    if (changes?.tables.has("messages")) this.settleQuestionNumbers(conn, changes);
    if (changes && this.deps.rowOwners)
      void removeForeignRows({
        room: this.room,
        conn,
        changes,
        owners: this.deps.rowOwners,
        logger: this.deps.logger,
      });
    return true;
  }

  /** D-VQA-NUMBER: two questions asked at the same moment in one conversation get distinct numbers. */
  private settleQuestionNumbers(conn: Connection, changes: DocChanges): void {
    const moved = settleQuestionNumbers(this.doc, changes, serverOrigin("vqa:number"));
    if (moved > 0) this.deps.logger.info("question numbers settled", { ...conn.context(), moved });
  }
}
