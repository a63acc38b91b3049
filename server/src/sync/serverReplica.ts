import * as Y from "yjs";
import { PERSISTENCE_ORIGIN, type Origin } from "@tessera/shared-crdt";
import type { Clock, TimerHandle } from "./clock.js";

/**
 * A warm copy of a room's document on which server-side writes are tried before they reach the
 * live document (see applyServerEdit). Copying the whole document for every write cost time in
 * proportion to the document (10–17 ms per write on a record with a few hundred rows); the replica
 * is copied once, on the first server write, and then kept in step: every live update that is not
 * the replica's own is queued and applied to it right before the next write, so a write costs
 * what the updates since the last one and the write itself change.
 *
 * Memory is bounded: the replica is dropped after `idleMs` without a server write, when the updates
 * queued for it pass `maxPendingBytes`, when a write on it was refused or failed (it then differs
 * from the live document), and when the room unloads. A dropped replica is copied afresh on the next
 * server write.
 */

export interface ServerReplicaOptions {
  readonly doc: Y.Doc;
  /** The room's server writer id: the replica writes as it. */
  readonly writerId: number;
  readonly clock: Clock;
  /** Dropped after this long without a server write. */
  readonly idleMs?: number;
  /** Dropped when the live updates queued for it pass this many bytes (the next write copies again). */
  readonly maxPendingBytes?: number;
}

export const DEFAULT_REPLICA_IDLE_MS = 10_000;
const DEFAULT_REPLICA_MAX_PENDING_BYTES = 4 * 1024 * 1024;

export class ServerReplica {
  private replica: Y.Doc | null = null;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** The live transaction carrying the replica's own write (not queued back to it). */
  private own: Y.Transaction | null = null;
  private lastUsed = 0;
  private idleTimer: TimerHandle | null = null;
  private inUse = false;
  private readonly doc: Y.Doc;
  private readonly idleMs: number;
  private readonly maxPendingBytes: number;
  /** How many times the whole live document was copied into a new replica. */
  copies = 0;

  constructor(private readonly options: ServerReplicaOptions) {
    this.doc = options.doc;
    this.idleMs = options.idleMs ?? DEFAULT_REPLICA_IDLE_MS;
    this.maxPendingBytes = options.maxPendingBytes ?? DEFAULT_REPLICA_MAX_PENDING_BYTES;
  }

  /** A replica exists (it holds a copy of the document in memory). */
  get warm(): boolean {
    return this.replica !== null;
  }

  private readonly onLiveUpdate = (update: Uint8Array, _origin: unknown, _doc: Y.Doc, tr: Y.Transaction): void => {
    if (this.replica === null || tr === this.own) return;
    this.pending.push(update);
    this.pendingBytes += update.length;
    if (this.pendingBytes > this.maxPendingBytes) this.drop();
  };

  /**
   * Runs `write` on the replica, caught up with the live document and writing as the room's writer
   * id. `write` returns the updates it made on the replica once they are valid, or throws — then
   * the replica is dropped (it differs from the live document) and the error goes on.
   */
  use<T>(write: (replica: Y.Doc) => T): T {
    if (this.inUse) throw new Error("server replica: a server write inside a server write");
    this.inUse = true;
    let ok = false;
    try {
      const result = write(this.acquire());
      ok = true;
      return result;
    } finally {
      this.inUse = false;
      if (!ok) this.drop();
    }
  }

  private acquire(): Y.Doc {
    let replica = this.replica;
    if (replica === null) {
      replica = new Y.Doc({ gc: true });
      // V2 (keys and ids column-encoded) decodes about twice as fast as V1 for a document of many
      // small maps (a track of a few hundred keyframes: 7 vs 14 ms), and the copy blocks the loop.
      Y.applyUpdateV2(replica, Y.encodeStateAsUpdateV2(this.doc), PERSISTENCE_ORIGIN);
      this.copies++;
      this.replica = replica;
      this.doc.on("update", this.onLiveUpdate);
      this.scheduleIdleCheck(this.idleMs);
    } else if (this.pending.length > 0) {
      const updates = this.pending;
      this.pending = [];
      this.pendingBytes = 0;
      // Nested applyUpdate calls join one transaction: one pass of observers for all of them.
      const target = replica;
      Y.transact(
        target,
        () => {
          for (const u of updates) Y.applyUpdate(target, u, PERSISTENCE_ORIGIN);
        },
        PERSISTENCE_ORIGIN,
        false,
      );
    }
    // Set after catching up: Yjs re-rolls a doc's client id when a remote update advances it.
    replica.clientID = this.options.writerId;
    this.lastUsed = this.options.clock.elapsed();
    return replica;
  }

  /**
   * Applies updates made on the replica to the live document as ONE update tagged `origin`. The
   * replica already has them: they are not queued back to it.
   */
  commit(updates: readonly Uint8Array[], origin: Origin): void {
    if (updates.length === 0) return;
    let ok = false;
    try {
      Y.transact(
        this.doc,
        (tr) => {
          this.own = tr;
          for (const u of updates) Y.applyUpdate(this.doc, u, origin);
        },
        origin,
        false,
      );
      ok = true;
    } finally {
      this.own = null;
      // An observer of the live document threw midway: what got in is unknown, copy afresh next time.
      if (!ok) this.drop();
    }
  }

  private scheduleIdleCheck(ms: number): void {
    this.idleTimer = this.options.clock.after(ms, () => {
      this.idleTimer = null;
      if (this.replica === null) return;
      const idle = this.options.clock.elapsed() - this.lastUsed;
      if (idle >= this.idleMs) this.drop();
      else this.scheduleIdleCheck(this.idleMs - idle);
    });
  }

  /** Frees the replica; the next server write copies the live document again. */
  drop(): void {
    this.idleTimer?.cancel();
    this.idleTimer = null;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.replica === null) return;
    this.doc.off("update", this.onLiveUpdate);
    this.replica.destroy();
    this.replica = null;
  }
}
