import { EventEmitter } from "node:events";
import type * as Y from "yjs";
import {
  RecordStateError,
  rowOwnersBatched,
  type RecordKey,
  type RecordLog,
  type SnapshotStore,
} from "@tessera/storage";
import {
  CloseCode,
  transition,
  type ComponentTable,
  type NamedAction,
  type Origin,
  type WorkflowResult,
} from "@tessera/shared-crdt";
import type { Logger } from "../logger.js";
import type { Clock, TimerHandle } from "./clock.js";
import type { Connection } from "./Connection.js";
import { RoomError } from "./errors.js";
import { EarlyAnswers } from "./earlyAnswers.js";
import type { Identity } from "./identity.js";
import type { SyncLimits } from "./limits.js";
import type { DocLoader, RoomOwnership, SyncLibrary, SyncPersister } from "./ports.js";
import { RecordRoom, type StatusMove } from "./RecordRoom.js";
import type { RoomEventName, RoomEvents } from "./roomEvents.js";

export interface RoomManagerDeps {
  readonly library: SyncLibrary;
  readonly log: RecordLog;
  readonly snapshots: SnapshotStore;
  readonly persister: SyncPersister;
  readonly loadDoc: DocLoader;
  readonly clock: Clock;
  readonly limits: SyncLimits;
  readonly logger: Logger;
  /** Scaled mode: a room loads only once this process holds the record's lease (absent: always). */
  readonly ownership?: RoomOwnership;
}

/** One record's slot: its (possibly still loading) room and who holds it. */
interface Entry {
  readonly key: RecordKey;
  readonly name: string;
  readonly loading: Promise<RecordRoom>;
  room: RecordRoom | null;
  /** Connections and server-side writes using the room; it unloads only at zero. */
  holds: number;
  /** Armed when the last hold goes: unload after `idleUnloadMs` unless someone comes back. */
  idle: TimerHandle | null;
  readonly early: EarlyAnswers;
}

const UNLOAD_ATTEMPTS = 5;

function nameOf(key: RecordKey): string {
  return JSON.stringify([key.datasetId, key.recordId]);
}

/**
 * The open records of the server: one room per (dataset, record), loaded once however many
 * joins race for it (a map of promises), unloaded when nobody holds it any more and its log is
 * flushed, and reloaded cleanly by the next join. REST writes and workflow actions go through the
 * same rooms (docs/ARCHITECTURE.md §3 "Durability" 4), so live editors and REST never overwrite each other.
 */
export class RoomManager {
  private readonly entries = new Map<string, Entry>();
  /** Records (by name) and datasets being deleted: no room may load for them meanwhile. */
  private readonly goneRecords = new Map<string, number>();
  private readonly goneDatasets = new Map<string, number>();
  private readonly events = new EventEmitter();
  private closing = false;

  constructor(private readonly deps: RoomManagerDeps) {
    // Listeners are the live channel, the activity feed and tests; many may subscribe.
    this.events.setMaxListeners(0);
  }

  /** Subscribes to room events; returns the unsubscribe function. */
  on<K extends RoomEventName>(event: K, listener: (payload: RoomEvents[K]) => void): () => void {
    this.events.on(event, listener);
    return () => this.events.off(event, listener);
  }

  private readonly emit = <K extends RoomEventName>(event: K, payload: RoomEvents[K]): void => {
    try {
      this.events.emit(event, payload);
    } catch (err) {
      // A listener's bug must not break document processing; the event is informational.
      this.deps.logger.error("room event listener failed", { event, error: (err as Error).message });
    }
  };

  /** The loaded room of a record, if any (no load). */
  loaded(datasetId: string, recordId: string): RecordRoom | null {
    return this.entries.get(nameOf({ datasetId, recordId }))?.room ?? null;
  }

  /** Number of rooms loaded or loading. */
  get size(): number {
    return this.entries.size;
  }

  /** Connections currently in rooms. */
  get connectionCount(): number {
    let n = 0;
    for (const e of this.entries.values()) n += e.room?.connections.size ?? 0;
    return n;
  }

  private isGone(key: RecordKey): boolean {
    return this.goneDatasets.has(key.datasetId) || this.goneRecords.has(nameOf(key));
  }

  /** Whether the record exists, without loading its document. */
  async recordExists(datasetId: string, recordId: string): Promise<boolean> {
    if (this.isGone({ datasetId, recordId })) return false;
    if (this.loaded(datasetId, recordId)) return true;
    const dataset = await this.deps.library.open(datasetId);
    if (!dataset) return false;
    return (await dataset.get("records", recordId, ["id"])) !== null;
  }

  private async load(key: RecordKey, early: EarlyAnswers): Promise<RecordRoom> {
    const dataset = await this.deps.library.open(key.datasetId);
    if (!dataset) throw new RoomError("not_found", `dataset ${JSON.stringify(key.datasetId)} not found`);
    let loaded;
    try {
      // No lookup of the record row first: the loader reads it whenever it may have gone (a
      // snapshot whose tables did not move vouches that it exists) and then says so.
      loaded = await this.deps.loadDoc(dataset, key, {
        // Only for a state that holds nothing live outside the record layout (a snapshot's
        // `layoutOnly`): an older one may, and the room clears that at construction, so its joiners
        // wait for it. A first load tells it before its first snapshot is saved; edits wait for the save.
        onFullState: (state) => early.tell(state),
      });
    } catch (err) {
      if (err instanceof RecordStateError && err.reason === "record_not_found")
        throw new RoomError(
          "not_found",
          `record ${JSON.stringify(key.recordId)} not found in ${JSON.stringify(key.datasetId)}`,
          { cause: err },
        );
      throw new RoomError("load_failed", `could not load ${key.datasetId}/${key.recordId}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    // Its log file is opened (or created) now, off the path of the first edit's confirmation.
    this.deps.log.prepare?.(key);
    // The owner checks of every room of the dataset share their queries (a burst of edits on many records).
    // …in the persist worker when it can (off this thread, which relays the edits).
    const inWorker = this.deps.persister.rowOwners?.bind(this.deps.persister);
    const query = inWorker
      ? (table: ComponentTable, ids: readonly string[]) => inWorker(key.datasetId, table, ids)
      : undefined;
    const rowOwners = (table: ComponentTable, ids: readonly string[]) => rowOwnersBatched(dataset, table, ids, query);
    const room = new RecordRoom({
      ...this.deps,
      key,
      doc: loaded.doc,
      ...(loaded.fullState ? { fullState: loaded.fullState } : {}),
      schema: () => dataset.schema,
      emit: this.emit,
      rowOwners,
    });
    if (loaded.unflushed) room.flusher.touch();
    return room;
  }

  /** Scaled mode: the record's lease first (a `RoomError` "elsewhere" when another process holds it). */
  private async claimThenLoad(key: RecordKey, early: EarlyAnswers): Promise<RecordRoom> {
    await this.deps.ownership?.claim(key);
    return this.load(key, early);
  }

  /**
   * Scaled mode: drops a record's room WITHOUT flushing — this process lost its lease (renewal failed, or
   * an append was fenced), so another process owns the record and everything durable is in its log. Its
   * connections close with `code` (4503: clients reconnect and resync from the new owner).
   */
  evict(key: RecordKey, code: number, reason: string): void {
    const name = nameOf(key);
    const entry = this.entries.get(name);
    if (!entry) return;
    this.entries.delete(name);
    entry.idle?.cancel();
    entry.loading.then(
      (room) => {
        room.closeAll(code, reason);
        room.flusher.dispose();
        room.durable.abort();
        room.destroy();
        this.emit("unloaded", { ...key });
      },
      // A load that failed dropped nothing: it is logged where it failed.
      () => undefined,
    );
  }

  /** Takes a hold on a record's room, loading it if needed; every acquire is paired with a release. */
  private acquire(key: RecordKey): { entry: Entry; ready: Promise<RecordRoom> } {
    if (this.closing) throw new RoomError("closing", "the sync endpoint is shutting down");
    if (this.isGone(key)) throw new RoomError("not_found", `record ${JSON.stringify(key.recordId)} is being deleted`);
    const name = nameOf(key);
    let entry = this.entries.get(name);
    if (!entry) {
      const early = new EarlyAnswers();
      const loading = this.claimThenLoad(key, early);
      const settled = () => early.settle();
      loading.then(settled, settled);
      const created: Entry = { key, name, loading, room: null, holds: 0, idle: null, early };
      entry = created;
      this.entries.set(name, created);
      loading.then(
        (room) => {
          created.room = room;
          this.emit("loaded", { ...key });
        },
        (err: unknown) => {
          if (this.entries.get(name) === created) this.entries.delete(name);
          this.deps.ownership?.released(key);
          if (!(err instanceof RoomError && (err.reason === "not_found" || err.reason === "elsewhere"))) {
            this.deps.logger.error("record load failed", { ...key, error: (err as Error).message });
          }
        },
      );
    }
    entry.holds++;
    entry.idle?.cancel();
    entry.idle = null;
    const held = entry;
    const ready = held.loading.catch((err: unknown) => {
      held.holds--;
      throw err;
    });
    return { entry: held, ready };
  }

  /**
   * A hold on a record's room for a server-side writer (see `writeRecords`): `ready` resolves with
   * the loaded room (loads started together share their row reads); `release()` once done — also
   * after a failed load, and before the load ends (it then takes effect when the load does).
   */
  hold(key: RecordKey): { readonly ready: Promise<RecordRoom>; release(): void } {
    const { entry, ready } = this.acquire(key);
    let released = false;
    const loaded = ready.then(
      () => true,
      () => false,
    );
    return {
      ready,
      release: () => {
        if (released) return;
        released = true;
        // A failed load gave its hold back already (`acquire`).
        void loaded.then((ok) => ok && this.release(entry));
      },
    };
  }

  /**
   * Folds now the rooms of `recordIds` that are loaded (a room unloads only once flushed, so the
   * others hold nothing unfolded). Resolves false when a flush failed (the log keeps it).
   */
  async flushLoaded(datasetId: string, recordIds: ReadonlySet<string>): Promise<boolean> {
    const rooms = [...this.entries.values()].flatMap((e) =>
      e.room && e.key.datasetId === datasetId && recordIds.has(e.key.recordId) ? [e.room] : [],
    );
    return (await Promise.all(rooms.map((r) => r.flusher.flushNow()))).every(Boolean);
  }

  private release(entry: Entry): void {
    entry.holds--;
    if (entry.holds > 0 || !entry.room || this.closing) return;
    entry.idle?.cancel();
    entry.idle = this.deps.clock.after(this.deps.limits.idleUnloadMs, () => {
      entry.idle = null;
      void this.unloadWhenIdle(entry);
    });
  }

  /**
   * Flushes a room nobody held for `idleUnloadMs`, then unloads it if still nobody holds it and nothing newer
   * reached the log meanwhile. A join during the flush keeps the room (served from memory); a
   * join after the unload loads afresh from the flushed snapshot.
   */
  private async unloadWhenIdle(entry: Entry): Promise<void> {
    const room = entry.room;
    if (!room) return;
    for (let attempt = 1; attempt <= UNLOAD_ATTEMPTS; attempt++) {
      const flushed = await room.flusher.flushNow();
      if (!flushed || entry.holds > 0 || this.closing || room.destroyed || this.entries.get(entry.name) !== entry)
        return;
      if (room.quiescent) {
        this.entries.delete(entry.name);
        room.destroy();
        this.emit("unloaded", { ...entry.key });
        this.deps.ownership?.released(entry.key);
        return;
      }
      // Appends still settling, or the persister folded less than we appended: go around again.
      await room.durable.barrier();
      room.flusher.touch();
    }
    this.deps.logger.warn("room kept loaded: the log is ahead of the last flush", { ...entry.key });
  }

  /** Puts a freshly upgraded connection in its room once the record is loaded. */
  async join(conn: Connection): Promise<void> {
    let acquired;
    try {
      acquired = this.acquire(conn.key);
    } catch (err) {
      conn.close(CloseCode.tryLater, (err as Error).message);
      return;
    }
    const { early } = acquired.entry;
    if (!acquired.entry.room) early.wait(conn);
    let room: RecordRoom;
    try {
      room = await acquired.ready;
    } catch (err) {
      conn.whileLoading(null);
      early.take(conn);
      const gone = err instanceof RoomError && err.reason === "not_found";
      // Scaled mode: another process took the record meanwhile; the reconnection is forwarded there.
      if (err instanceof RoomError && err.reason === "elsewhere") conn.close(CloseCode.ownerLost, err.message);
      else
        conn.close(
          gone ? CloseCode.recordGone : CloseCode.internalError,
          gone ? "record not found" : "could not load the record",
        );
      return;
    }
    conn.whileLoading(null);
    if (!conn.isOpen || room.destroyed) {
      early.take(conn);
      this.release(acquired.entry);
      if (conn.isOpen) conn.close(CloseCode.tryLater, "record unloaded");
      return;
    }
    room.join(conn, early.take(conn));
    conn.onClose(() => {
      room.leave(conn);
      this.release(acquired.entry);
    });
  }

  /**
   * A server-side write (REST) through the record's document: loads or reuses the room, runs `fn`
   * in one transaction tagged `origin`, validated like a client edit but refused with a typed
   * `RoomEditError` instead of repaired, waits until it is durable, and lets the room unload
   * later if nobody is connected.
   */
  async withRecord<T>(
    datasetId: string,
    recordId: string,
    origin: Origin,
    fn: (doc: Y.Doc) => T,
    options: { flush?: boolean } = {},
  ): Promise<T> {
    const { entry, ready } = this.acquire({ datasetId, recordId });
    const room = await ready;
    try {
      const userId = origin.source === "rest" ? origin.userId : origin.source;
      const { result, durable } = room.edit(origin, userId, fn);
      if (!(await durable)) throw new RoomError("closing", "the change could not be made durable before shutdown");
      // REST callers read rows right after writing: fold the log into them before answering.
      if (options.flush && !(await room.flusher.flushNow()))
        throw new RoomError("closing", "the change could not be flushed before shutdown");
      return result;
    } finally {
      this.release(entry);
    }
  }

  /** A named workflow transition (edit, submit, approve, reject with comment, reopen) as a server transaction. */
  async applyWorkflow(
    datasetId: string,
    recordId: string,
    action: NamedAction,
    identity: Identity,
    comment = "",
    options: { flush?: boolean } = {},
  ): Promise<{ from: string; to: string }> {
    const change = await this.changeStatus(
      datasetId,
      recordId,
      (from) => transition(from, action, identity.role, comment),
      identity,
      comment,
      options,
    );
    if (!change) throw new Error(`workflow: ${action} made no change`);
    return { from: change.from, to: change.to };
  }

  /**
   * A status change (a named transition, or a direct `set`) decided by `decide` on the record's
   * current status, optionally after an edit of the record — all or nothing (`RecordRoom.workflow`).
   * Resolves with the change made (`null`: none) once it is durable.
   */
  async changeStatus(
    datasetId: string,
    recordId: string,
    decide: (from: string) => WorkflowResult | null,
    identity: Identity,
    comment = "",
    options: { flush?: boolean; edit?: { readonly origin: Origin; readonly fn: (doc: Y.Doc) => void } } = {},
  ): Promise<StatusMove | null> {
    const { entry, ready } = this.acquire({ datasetId, recordId });
    const room = await ready;
    try {
      const { change, durable } = room.workflow(decide, identity, comment, options.edit);
      if (!(await durable)) throw new RoomError("closing", "the transition could not be made durable before shutdown");
      if (options.flush && !(await room.flusher.flushNow()))
        throw new RoomError("closing", "the transition could not be flushed before shutdown");
      return change;
    } finally {
      this.release(entry);
    }
  }

  /**
   * Start-up recovery: folds every record log that still holds entries (a crash, or a shutdown
   * whose flush failed) into its snapshot and rows, then trims it. Records with a loaded room are
   * left to their room. Failures are logged and left in the log for the next attempt.
   */
  async flushPending(
    options: { onPending?: (records: number) => void } = {},
  ): Promise<{ flushed: number; failed: number }> {
    let flushed = 0;
    let failed = 0;
    const pending = await this.deps.log.pending();
    options.onPending?.(pending.length);
    for (const key of pending) {
      if (this.entries.has(nameOf(key)) || this.isGone(key)) continue;
      try {
        const { upTo } = await this.deps.persister.flush(key);
        if (upTo > 0) await this.deps.log.trim(key, upTo);
        this.emit("flushed", { ...key, upTo });
        flushed++;
      } catch (err) {
        failed++;
        this.deps.logger.error("recovery flush failed; the log keeps the updates", {
          ...key,
          error: (err as Error).message,
        });
      }
    }
    return { flushed, failed };
  }

  /**
   * Deletes records (or, with `recordIds` null, a whole dataset) without their open documents
   * writing them back: no room may load for them meanwhile; open rooms close their connections
   * with 4410 (a code stock clients do not retry) and are dropped without a flush, after any flush
   * in progress ends; then `deleteRows` runs (the caller's LanceDB deletes); then the records' logs
   * and snapshots go (for a whole dataset, the logs of its loaded or pending records; its snapshot
   * folder is the caller's to remove).
   */
  async deleteRecords<T>(
    datasetId: string,
    recordIds: readonly string[] | null,
    deleteRows: () => Promise<T>,
  ): Promise<T> {
    // Scaled mode: the records' leases first, so no other process holds them open (or opens them) meanwhile.
    const claimed = recordIds ? await this.claimAll(recordIds.map((recordId) => ({ datasetId, recordId }))) : [];
    try {
      return await this.deleteClaimed(datasetId, recordIds, deleteRows);
    } finally {
      for (const key of claimed) this.deps.ownership?.released(key);
    }
  }

  /** Takes the leases of `keys` (scaled mode); none kept when one is held by another process. */
  private async claimAll(keys: readonly RecordKey[]): Promise<RecordKey[]> {
    const ownership = this.deps.ownership;
    if (!ownership) return [];
    const claimed: RecordKey[] = [];
    try {
      for (const key of keys) {
        await ownership.claim(key);
        claimed.push(key);
      }
    } catch (err) {
      for (const key of claimed) if (!this.entries.has(nameOf(key))) ownership.released(key);
      throw err;
    }
    return claimed;
  }

  private async deleteClaimed<T>(
    datasetId: string,
    recordIds: readonly string[] | null,
    deleteRows: () => Promise<T>,
  ): Promise<T> {
    const names = recordIds?.map((recordId) => nameOf({ datasetId, recordId })) ?? [];
    const mark = (m: Map<string, number>, k: string, d: number) => {
      const n = (m.get(k) ?? 0) + d;
      if (n <= 0) m.delete(k);
      else m.set(k, n);
    };
    if (recordIds) for (const n of names) mark(this.goneRecords, n, 1);
    else mark(this.goneDatasets, datasetId, 1);
    try {
      const doomed = [...this.entries.values()].filter(
        (e) => e.key.datasetId === datasetId && (!recordIds || names.includes(e.name)),
      );
      const keys: RecordKey[] = recordIds
        ? recordIds.map((recordId) => ({ datasetId, recordId }))
        : doomed.map((e) => e.key);
      await Promise.all(
        doomed.map(async (entry) => {
          entry.idle?.cancel();
          const room = await entry.loading.catch(() => null);
          if (this.entries.get(entry.name) === entry) this.entries.delete(entry.name);
          if (!room) return;
          room.closeAll(CloseCode.recordGone, "record deleted");
          room.flusher.dispose();
          await room.flusher.settled();
          await room.durable.barrier();
          room.destroy();
          this.emit("unloaded", { ...entry.key });
          this.deps.ownership?.released(entry.key);
        }),
      );
      const result = await deleteRows();
      if (!recordIds) {
        for (const k of await this.deps.log.pending())
          if (k.datasetId === datasetId && !keys.some((x) => x.recordId === k.recordId)) keys.push(k);
      }
      for (const key of keys) {
        await this.deps.log.trim(key, Number.MAX_SAFE_INTEGER);
        await this.deps.snapshots.delete(key);
      }
      return result;
    } finally {
      if (recordIds) for (const n of names) mark(this.goneRecords, n, -1);
      else mark(this.goneDatasets, datasetId, -1);
    }
  }

  /**
   * Shutdown: closes every connection with 1001, waits for pending appends, flushes every room
   * once (what fails stays in the log, which is folded at the next start) and unloads them all.
   */
  async close(): Promise<void> {
    this.closing = true;
    const entries = [...this.entries.values()];
    for (const e of entries) e.idle?.cancel();
    const rooms = await Promise.all(entries.map((e) => e.loading.catch(() => null)));
    for (const room of rooms) room?.closeAll(CloseCode.goingAway, "server shutting down");
    await Promise.all(
      rooms.map(async (room) => {
        if (!room) return;
        await room.durable.barrier();
        const ok = await room.flusher.flushOnce();
        if (!ok) this.deps.logger.error("flush at shutdown failed; the log keeps the updates", { ...room.key });
        room.durable.abort();
        room.destroy();
        this.deps.ownership?.released(room.key);
      }),
    );
    this.entries.clear();
    this.events.removeAllListeners();
  }
}
