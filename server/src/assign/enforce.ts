import { CloseCode } from "@tessera/shared-crdt";
import type { Logger } from "../logger.js";
import { WorkflowError } from "../sync/errors.js";
import { isRefusal, type Identify, type Identity } from "../sync/identity.js";
import type { RoomManager } from "../sync/RoomManager.js";
import { parseSyncRoute } from "../sync/upgrade.js";
import type { AssignStore } from "./AssignStore.js";

/**
 * The assignment lock (SPEC AS6) at the two doors of a record: REST and live-channel writes are refused (403 with
 * the reason), and a sync connection of someone the lock keeps out joins read-only — with the rights of a viewer,
 * through the sync endpoint's own read-only path. When a lock or an assignment changes, the connections whose
 * rights it changes are closed with 1001 (going away): their clients reconnect at once with the new rights.
 */
export class AssignEnforcer {
  /** Identities admitted read-only by the lock (their real role was annotator). */
  private readonly lockedOut = new WeakSet<Identity>();

  constructor(
    private readonly store: AssignStore,
    private readonly logger: Logger,
  ) {}

  /**
   * The read-only marks of the lock, for identities that travel between processes (scaled mode: an edge process
   * forwards a connection it admitted read-only; the owner marks it too, so an unlock re-admits it there).
   */
  readonly marks = {
    has: (identity: Identity): boolean => this.lockedOut.has(identity),
    add: (identity: Identity): void => void this.lockedOut.add(identity),
  };

  /** Throws the 403 a write to this record gets from `who` under the lock; nothing when allowed. */
  async check(datasetId: string, recordId: string, who: Pick<Identity, "id" | "role">): Promise<void> {
    const reason = await this.store.editRefusal(datasetId, recordId, who);
    if (reason !== null) throw new WorkflowError("forbidden", reason);
  }

  /** Wraps the sync endpoint's identify: an annotator the lock keeps off this record joins as a viewer. */
  identify(inner: Identify): Identify {
    return async (req) => {
      const identity = await inner(req);
      if (isRefusal(identity) || identity.role !== "annotator") return identity;
      const route = parseSyncRoute(req.url);
      if (route?.kind !== "record") return identity;
      const reason = await this.store.editRefusal(route.key.datasetId, route.key.recordId, identity);
      if (reason === null) return identity;
      const readOnly: Identity = { ...identity, role: "viewer" };
      this.lockedOut.add(readOnly);
      return readOnly;
    };
  }

  /** Re-admits the connections whose rights a change of these records (all assigned ones for a lock) changed. */
  follow(rooms: Pick<RoomManager, "loaded">): () => void {
    return this.store.onChange((e) => {
      const ids =
        e.change === "locked" || e.change === "unlocked"
          ? this.store.list(e.datasetId).then((l) => l.items.map((a) => a.record_id))
          : Promise.resolve([...e.record_ids]);
      ids
        .then(async (recordIds) => {
          for (const recordId of recordIds) {
            const room = rooms.loaded(e.datasetId, recordId);
            if (!room) continue;
            for (const conn of [...room.connections]) {
              const was = this.lockedOut.has(conn.identity);
              if (!was && conn.identity.role !== "annotator") continue;
              const who = { id: conn.identity.id, role: was ? ("annotator" as const) : conn.identity.role };
              const now = (await this.store.editRefusal(e.datasetId, recordId, who)) !== null;
              if (now !== was) conn.close(CloseCode.goingAway, "assignment changed: reconnect");
            }
          }
        })
        .catch((err: unknown) =>
          this.logger.error("assign: cannot re-admit connections after a change", { error: String(err) }),
        );
    });
  }
}
